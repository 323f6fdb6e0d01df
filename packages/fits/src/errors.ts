/**
 * Typed errors of @daqsim/fits. Every error a caller can provoke with bad input is one of these, so that a
 * server can turn it into a 400 and a test can assert on `code` rather than on message text.
 */

export type FitsErrorCode =
  | 'BAD_KEYWORD'
  | 'BAD_VALUE'
  | 'BAD_CARD'
  | 'BAD_HEADER'
  | 'MISSING_KEYWORD'
  | 'TRUNCATED'
  | 'BAD_DATA'
  | 'UNSUPPORTED'
  | 'BAD_COMPRESSION'
  | 'USAGE';

export interface FitsErrorLocation {
  /** Index of the HDU (0 = primary) the problem was found in, when known. */
  hdu?: number;
  /** Byte offset in the file or buffer where the problem was found, when known. */
  offset?: number;
  /** Keyword concerned, when there is one. */
  keyword?: string;
}

export class FitsError extends Error {
  readonly code: FitsErrorCode;
  readonly hdu: number | undefined;
  readonly offset: number | undefined;
  readonly keyword: string | undefined;
  /** The message without the location suffix. */
  readonly detail: string;

  constructor(code: FitsErrorCode, message: string, where: FitsErrorLocation = {}) {
    const parts: string[] = [];
    if (where.hdu !== undefined) parts.push(`HDU ${where.hdu}`);
    if (where.offset !== undefined) parts.push(`byte ${where.offset}`);
    if (where.keyword !== undefined) parts.push(`keyword ${where.keyword}`);
    super(parts.length > 0 ? `${message} (${parts.join(', ')})` : message);
    this.name = 'FitsError';
    this.code = code;
    this.hdu = where.hdu;
    this.offset = where.offset;
    this.keyword = where.keyword;
    this.detail = message;
  }

  /** The same error with the HDU index and a base byte offset filled in, for errors raised by lower layers. */
  locate(hdu: number, baseOffset = 0): FitsError {
    if (this.hdu !== undefined) return this;
    const err = new FitsError(this.code, this.detail, {
      hdu,
      offset: this.offset === undefined ? baseOffset : baseOffset + this.offset,
      ...(this.keyword !== undefined ? { keyword: this.keyword } : {}),
    });
    err.stack = this.stack;
    return err;
  }
}
