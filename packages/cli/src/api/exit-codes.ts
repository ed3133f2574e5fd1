/**
 * The operator commands' exit codes, for scripts:
 *   0 ok · 1 the operation failed (a job failed, the engine is unhealthy, a 5xx) · 2 usage error (names the
 *   bad flag or argument) · 3 the API cannot be reached · 4 the API refused the request (4xx: its message and
 *   field are printed).
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  refused: 4,
} as const;
