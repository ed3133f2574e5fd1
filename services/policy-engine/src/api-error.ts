import { JobRequestError, type JobRequestErrorKind } from '@ballast/domain';

/** An error the API returns as JSON: `{error: {code, message, field?, ...details}}` with an HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** More of the answer's `error` (e.g. `issues`, `currentVersion`). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

const STATUS: Record<JobRequestErrorKind, number> = { invalid: 400, 'not-found': 404, conflict: 409, unprocessable: 422 };

/** A domain JobRequestError as the API's error (other errors pass through). */
export function toApiError(e: unknown): unknown {
  return e instanceof JobRequestError ? new ApiError(STATUS[e.kind], e.code, e.message, e.field) : e;
}
