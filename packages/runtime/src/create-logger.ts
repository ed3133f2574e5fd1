import { pino, type DestinationStream, type Level, type Logger } from 'pino';

export type LogLevel = Level | 'silent';

export interface CreateLoggerOptions {
  /** 'collector', 'policy-engine', 'actuator', … — bound on every line as `service`. */
  service: string;
  /** Bound on every line as `hostId`. */
  hostId: string;
  /** Default 'info'. */
  logLevel?: LogLevel;
  /** Default stdout. */
  destination?: DestinationStream;
}

/** Paths whose values never reach a log line. */
const REDACT = [
  'token', 'apiToken', 'grpcToken', 'password',
  '*.token', '*.apiToken', '*.grpcToken', '*.password',
  'req.headers.authorization', 'headers.authorization', 'metadata.authorization',
];

/**
 * JSON lines on stdout with `service` and `hostId` bound, ISO timestamps, tokens redacted.
 *
 *   const log = createLogger({ service: 'collector', hostId, logLevel: config.logLevel });
 *   log.info({ vms: 4 }, 'sampled');
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  return pino(
    {
      level: options.logLevel ?? 'info',
      base: { pid: process.pid, service: options.service, hostId: options.hostId },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
