/**
 * A job type is one unit: its action schema (the bounds, written once), the API request it is made from,
 * the resource it holds and its scope. The HTTP and gRPC APIs, the queue and the actuator all read the
 * registry (registry.ts); nothing else lists job types.
 */
import type { z } from 'zod';

/** 'vm': the job adjusts one VM (per-VM lock and holds); 'host': the job adjusts the host itself (host lock). */
export type JobScope = 'vm' | 'host';

/** What filling a request may look up: the engine's latest view of a host. */
export interface HostFacts {
  hostId: string;
  pcpuCount: number;
  numaCells: { id: number; cpus: number[]; memoryKiB: number; freeKiB: number }[];
  migrationUri?: string;
  migrationDataUri?: string;
}

export interface FillContext {
  /** The host the job will run on. */
  hostId: string;
  /** A host's latest facts, or undefined when no collector reports it. */
  host(hostId: string): HostFacts | undefined;
}

/** Why a request cannot become a job; `kind` maps to an HTTP status / gRPC code at the edge. */
export type JobRequestErrorKind = 'invalid' | 'not-found' | 'conflict' | 'unprocessable';

export class JobRequestError extends Error {
  override readonly name = 'JobRequestError';
  constructor(
    readonly kind: JobRequestErrorKind,
    readonly code: string,
    /** The request field at fault, e.g. `pcpus` or `targetHost`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

type ActionShape = { type: z.ZodLiteral<string> };

export interface JobTypeDef<A extends z.ZodObject<ActionShape>, R extends z.ZodObject> {
  /** The job type's name, e.g. 'set-memory' (the action's `type`). */
  readonly type: z.infer<A>['type'];
  readonly scope: JobScope;
  /**
   * What a manual job of this type holds against policies for a while, e.g. 'memory'. Holds apply to the
   * whole resource of the VM (or host).
   */
  readonly resource: string;
  /** The action as queued: every field with its unit in the name and its bounds. */
  readonly action: A;
  /** The fields of an API request (besides `type` and `vm` / `host`); strict: unknown fields are errors. */
  readonly request: R;
  /** Request → action: fills what the engine knows (URIs, sorted sets); throws JobRequestError naming the field. */
  fill(request: z.infer<R>, ctx: FillContext): z.infer<A>;
  /**
   * Part of the resource this job sets, when jobs for different parts do not compete (the vCPU of a pin).
   * Two jobs with the same target, resource and part compete: the later one replaces the earlier.
   */
  part?(action: z.infer<A>): string | undefined;
  /** One line for logs and decisions, e.g. "set memory to 400 MiB". */
  describe(action: z.infer<A>): string;
  /** An action with every optional field set (tests check it round-trips through the queue and proto). */
  readonly example: z.infer<A>;
}

/** Declares a job type (identity: it only checks the shape at compile time). */
export function defineJobType<A extends z.ZodObject<ActionShape>, R extends z.ZodObject>(def: JobTypeDef<A, R>): JobTypeDef<A, R> {
  return def;
}
