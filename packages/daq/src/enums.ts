/**
 * ts_xml enumerations the camera CSCs publish (sal_enums.py, enums/ATCamera.py; 1-based), and the SAL ack codes.
 * CCCamera and MTCamera use the ATCamera names; FilterChangerDetailedState has no published enum (see below).
 */

export const State = { DISABLED: 1, ENABLED: 2, FAULT: 3, OFFLINE: 4, STANDBY: 5 } as const;
export type StateName = keyof typeof State;
export type StateValue = (typeof State)[StateName];

export function stateName(v: number): StateName {
  const hit = (Object.keys(State) as StateName[]).find((k) => State[k] === v);
  if (!hit) throw new RangeError(`not a summary state: ${v}`);
  return hit;
}

export const AckCode = {
  ACK: 300,
  INPROGRESS: 301,
  STALLED: 302,
  COMPLETE: 303,
  NOPERM: -300,
  NOACK: -301,
  FAILED: -302,
  ABORTED: -303,
  TIMEOUT: -304,
} as const;
export type AckCodeValue = (typeof AckCode)[keyof typeof AckCode];

/** Acks after which no other ack follows (the remote's view in salobj). */
export function isFinalAck(ack: number): boolean {
  return ack !== AckCode.ACK && ack !== AckCode.INPROGRESS;
}

export const OfflineDetailedState = { AVAILABLE: 1, PUBLISH_ONLY: 2 } as const;
export const ImageReadinessDetailedState = { READY: 1, NOT_READY: 2, GETTING_READY: 3 } as const;
export const CalibrationDetailedState = { DISABLED: 1, ENABLED: 2, INTEGRATING: 3 } as const;
export const ShutterDetailedState = { CLOSED: 1, OPEN: 2, CLOSING: 3, OPENING: 4 } as const;
export const CCSCommandState = { IDLE: 1, BUSY: 2 } as const;
export const RaftsDetailedState = { NEEDS_CLEAR: 1, CLEARING: 2, INTEGRATING: 3, READING_OUT: 4, QUIESCENT: 5 } as const;
export const CCDType = { E2V: 1, ITL: 2 } as const;
/**
 * ts_xml publishes no enum for the filter changer; these are the state names of the CCS prototype (ToyOCSBridge
 * Filter.java), numbered by daqsim.
 */
export const FilterChangerDetailedState = { LOADED: 1, UNLOADED: 2, LOADING: 3, UNLOADING: 4, ROTATING: 5 } as const;

/** Python logging levels, which logMessage and setLogLevel carry. */
export const LogLevel = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 } as const;
