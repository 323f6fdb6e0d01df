/** Typed errors of the nightly report; `exitCode` is what `daqsim report` exits with. */

export type ReportErrorCode =
  /** Bad option value or arguments. */
  | 'USAGE'
  /** DIR is not a night directory (no manifest.json) or the manifest is unreadable. */
  | 'BAD_NIGHT'
  /** --events or --transfer could not be read. */
  | 'BAD_INPUT';

export class ReportError extends Error {
  readonly code: ReportErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ReportErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ReportError';
    this.code = code;
    this.details = details;
  }

  get exitCode(): 2 {
    return 2;
  }
}
