/**
 * Typed errors of the transfer link emulator. `exitCode` is what the CLI exits with, so a script can tell a bad
 * invocation (2) from a transfer whose files did not verify (1).
 */

export type TransferErrorCode =
  /** Bad option value or arguments. */
  | 'USAGE'
  /** SRC is missing or not a directory, or DST is inside SRC the wrong way. */
  | 'BAD_SOURCE'
  /** manifest.json exists but is not a night manifest. */
  | 'BAD_MANIFEST'
  /** A file could not be read or written. */
  | 'IO';

export class TransferError extends Error {
  readonly code: TransferErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: TransferErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'TransferError';
    this.code = code;
    this.details = details;
  }

  /** Usage problems exit 2; anything else that stops a transfer is reported like a verification failure (1). */
  get exitCode(): 1 | 2 {
    return this.code === 'USAGE' || this.code === 'BAD_SOURCE' || this.code === 'BAD_MANIFEST' ? 2 : 1;
  }
}
