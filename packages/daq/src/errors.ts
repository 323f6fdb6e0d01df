/**
 * Typed errors. A `CommandError` ends a command with a FAILED (or ABORTED) ack whose result names the reason; a
 * `DaqError` is a setup or usage problem (bad config, bad request) that never reaches a CSC.
 */
import { AckCode } from './enums.js';

export type CommandErrorCode =
  /** The command is not allowed in the current summary state. */
  | 'WRONG_STATE'
  /** Another command is running (ccsCommandState BUSY). */
  | 'BUSY'
  /** A parameter is out of range or names something unknown. */
  | 'BAD_PARAMETER'
  /** The camera reports notReadyToTakeImage. */
  | 'NOT_READY'
  /** Calibration mode forbids (or is required for) the command. */
  | 'CALIBRATION_MODE'
  /** The command was stopped (stop command, FAULT, shutdown). */
  | 'ABORTED'
  /** The CSC went to FAULT while the command ran. */
  | 'FAULT'
  /** The command did not finish within its own timeout. */
  | 'TIMEOUT'
  /** Anything else that went wrong inside the CSC. */
  | 'INTERNAL';

export class CommandError extends Error {
  readonly code: CommandErrorCode;
  constructor(code: CommandErrorCode, message: string) {
    super(message);
    this.name = 'CommandError';
    this.code = code;
  }

  /** The ack a command ends with when it fails with this error. */
  get ack(): number {
    return this.code === 'ABORTED' ? AckCode.ABORTED : AckCode.FAILED;
  }
}

export type DaqErrorCode =
  | 'BAD_CONFIG'
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'STORE'
  | 'NOTIFY'
  | 'SEQUENCE'
  | 'CLIENT';

export class DaqError extends Error {
  readonly code: DaqErrorCode;
  /** The request or config field concerned, when there is one. */
  readonly field: string | undefined;
  constructor(code: DaqErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'DaqError';
    this.code = code;
    this.field = field;
  }
}
