/**
 * The exit codes scripts can rely on: 0 when the command did what it was asked, 1 when it failed
 * (the server said no, the network failed, a check found a problem), 2 when it was called wrong.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure to report in one message (and sometimes more lines), ending the command. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failed,
    /** Further lines printed under the message (problems by field, hints). */
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

/** The command line itself is wrong: a missing setting, a value that cannot be used. */
export class UsageError extends CliError {
  override name = "UsageError";
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}
