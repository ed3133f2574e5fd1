/** A top-level subcommand (`ballast <name> ...`); commands.ts lists them. */
export interface Command {
  name: string;
  summary: string;
  /** Returns the process exit code; throws CliError for expected failures. */
  run(argv: string[]): Promise<number>;
}
