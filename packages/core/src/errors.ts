/**
 * Typed errors of @daqsim/core. Every error a caller can provoke with bad input is a DaqsimError, so a server can
 * map it to a 400 and a test can assert on `code` instead of message text.
 */

export type DaqsimErrorCode =
  | 'BAD_CAMERA_DATA'
  | 'UNKNOWN_CAMERA'
  | 'UNKNOWN_DETECTOR'
  | 'UNKNOWN_AMP'
  | 'UNKNOWN_FILTER'
  | 'BAD_TIME'
  | 'BAD_DAYOBS'
  | 'BAD_SEQNUM'
  | 'BAD_CONTROLLER'
  | 'BAD_OBSID'
  | 'BAD_GROUPID'
  | 'BAD_DETECTOR_NUM'
  | 'BAD_EXPOSURE'
  | 'BAD_POINTING'
  | 'OUT_OF_RANGE'
  | 'BAD_PLAN'
  | 'BAD_NIGHT';

export class DaqsimError extends Error {
  readonly code: DaqsimErrorCode;
  /** Machine-readable context (the offending value, the allowed range...). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: DaqsimErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DaqsimError';
    this.code = code;
    this.details = details;
  }
}
