/** An expected failure: printed as one line (no stack trace), exit code 2 unless told otherwise. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

export function isCliError(err: unknown): err is CliError {
  return err instanceof CliError;
}
