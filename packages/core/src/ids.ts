/**
 * Rubin exposure identifiers, computed exactly as obs_lsst does (reference: headers.md sections 5-6, control.md
 * section 3.2). Nothing in the translators cross-checks OBSID, DAYOBS, SEQNUM and the dates, so these functions
 * are the only thing keeping a synthetic file self-consistent.
 */
import { createHash } from 'node:crypto';
import { DaqsimError } from './errors.js';
import { Tai } from './time.js';

/**
 * Controller codes, in obs_lsst's order (the index feeds exposure ids): O = OCS, C = CCS, H = phosim,
 * P = simulated OCS, Q = simulated CCS, S = simulated images.
 */
export const CONTROLLERS = 'OCHPQS';
export type Controller = 'O' | 'C' | 'H' | 'P' | 'Q' | 'S';
/** Controllers whose presence in CONTRLLR makes obs_lsst set has_simulated_content. */
export const SIMULATED_CONTROLLERS: readonly Controller[] = ['H', 'P', 'Q', 'S'];
/**
 * Default controller: 'S' ("simulated images"). It is the code imSim and the HeaderService playback libraries use
 * for synthetic LSSTCamSim/ComCamSim frames, it makes obs_lsst report has_simulated_content = True, and since
 * day_obs 20250418 it shares the OCS sequence space (no exposure-id offset), so ids look like production ones
 * while never colliding with the real O-controller correction files obs_lsst ships.
 */
export const DEFAULT_CONTROLLER: Controller = 'S';

/** Largest SEQNUM obs_lsst accepts (exposure ids reserve 5 digits). */
export const MAX_SEQNUM = 99_999;
/** detector_exposure_id packs seq_num in 15 bits (obs_lsst RubinDimensionPacker n_seq_nums). */
const PACKER_SEQ_NUMS = 32_768;
const PACKER_DAYS = 16_384;
const PACKER_DETECTORS = 256;
const PACKER_CONTROLLERS = 8;
const PACKER_DAY_BEGIN = Date.UTC(2010, 0, 1);
/** Value added to day_obs per controller index in exposure ids (obs_lsst _CONTROLLER_INCREMENT). */
const CONTROLLER_INCREMENT = 10_000_000;
/** obs_lsst visit ids count seconds from this calendar instant (TZERO). */
const VISIT_EPOCH_MS = Date.UTC(2015, 0, 1);

export function isController(c: string): c is Controller {
  return c.length === 1 && CONTROLLERS.includes(c);
}

export function checkController(c: string): Controller {
  if (!isController(c)) throw new DaqsimError('BAD_CONTROLLER', `unknown controller ${JSON.stringify(c)}: use one of ${CONTROLLERS}`, { controller: c });
  return c;
}

export function isSimulatedController(c: Controller): boolean {
  return SIMULATED_CONTROLLERS.includes(c);
}

/** Validate YYYYMMDD as a real calendar date; returns it as an integer. */
export function checkDayObs(dayObs: number | string): number {
  const s = String(dayObs);
  if (!/^\d{8}$/.test(s)) throw new DaqsimError('BAD_DAYOBS', `day_obs must be YYYYMMDD, got ${JSON.stringify(dayObs)}`, { dayObs });
  const y = Number(s.slice(0, 4));
  const m = Number(s.slice(4, 6));
  const d = Number(s.slice(6, 8));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1000 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    throw new DaqsimError('BAD_DAYOBS', `day_obs ${s} is not a calendar date`, { dayObs });
  }
  return Number(s);
}

/** day_obs as the 8-character string DAYOBS carries ('20251015'). */
export function dayObsString(dayObs: number): string {
  return String(checkDayObs(dayObs));
}

/**
 * day_obs of an instant: the calendar date of TAI minus the offset (12 h for every Rubin camera on the summit,
 * i.e. the date in the UTC-12 zone; LSSTCam-imSim uses 0). The night of 2025-10-15 local runs from 12:00 TAI on
 * the 15th to 11:59:59.999 TAI on the 16th.
 */
export function dayObs(t: Tai, offsetHours = 12): number {
  return t.plus(-offsetHours * 3600).dateInt();
}

/** The TAI instant a day_obs begins (its 00:00 in the offset zone). */
export function dayObsStart(day: number, offsetHours = 12): Tai {
  const s = String(checkDayObs(day));
  return Tai.fromIso(`${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T00:00:00`).plus(offsetHours * 3600);
}

export function checkSeqNum(seqNum: number): number {
  if (!Number.isSafeInteger(seqNum) || seqNum < 0 || seqNum > MAX_SEQNUM) {
    throw new DaqsimError('BAD_SEQNUM', `seq_num must be an integer 0..${MAX_SEQNUM}, got ${seqNum}`, { seqNum, max: MAX_SEQNUM });
  }
  return seqNum;
}

export interface ObsIdParts {
  /** Camera code: AT (LATISS), CC (ComCam), MC (LSSTCam). */
  camCode: string;
  controller: Controller;
  dayObs: number;
  seqNum: number;
}

/** OBSID = `{CAMCODE}_{CONTRLLR}_{YYYYMMDD}_{SEQNUM:06d}`, e.g. `MC_O_20251015_000123`. */
export function obsId(parts: ObsIdParts): string {
  if (!/^[A-Z]{2}$/.test(parts.camCode)) throw new DaqsimError('BAD_OBSID', `camera code must be two capital letters, got ${JSON.stringify(parts.camCode)}`, { camCode: parts.camCode });
  checkController(parts.controller);
  const day = checkDayObs(parts.dayObs);
  const seq = checkSeqNum(parts.seqNum);
  return `${parts.camCode}_${parts.controller}_${day}_${String(seq).padStart(6, '0')}`;
}

export function parseObsId(id: string): ObsIdParts {
  const m = /^([A-Z]{2})_([A-Z])_(\d{8})_(\d{6})$/.exec(id);
  if (!m) throw new DaqsimError('BAD_OBSID', `not an OBSID (XX_C_YYYYMMDD_NNNNNN): ${JSON.stringify(id)}`, { obsId: id });
  return {
    camCode: m[1]!,
    controller: checkController(m[2]!),
    dayObs: checkDayObs(m[3]!),
    seqNum: checkSeqNum(Number(m[4])),
  };
}

/**
 * The controller index obs_lsst folds into exposure ids: C stopped being offset after day_obs 20231004 (unified
 * counter with OCS) and P/Q/S after 20250417; O is never offset and H always is.
 */
export function exposureIdControllerIndex(day: number, controller: Controller): number {
  if (controller === 'C' && day > 20231004) return 0;
  if ((controller === 'P' || controller === 'Q' || controller === 'S') && day > 20250417) return 0;
  return CONTROLLERS.indexOf(controller);
}

/**
 * obs_lsst exposure_id: int(f"{DAYOBS + 10_000_000 * index}{SEQNUM:05d}"), e.g. O 20251015 #123 -> 2025101500123,
 * H -> 4025101500123. At most 7_050_123_199_999, well inside Number's exact range.
 */
export function exposureId(day: number, seqNum: number, controller: Controller = 'O'): number {
  const d = checkDayObs(day);
  const seq = checkSeqNum(seqNum);
  const index = exposureIdControllerIndex(d, checkController(controller));
  return (d + CONTROLLER_INCREMENT * index) * 100_000 + seq;
}

/** Inverse of exposureId: day_obs, seq_num and the controller index that was folded in (0 reads as O). */
export function unpackExposureId(id: number): { dayObs: number; seqNum: number; controllerIndex: number } {
  if (!Number.isSafeInteger(id) || id < 0) throw new DaqsimError('OUT_OF_RANGE', `bad exposure id ${id}`, { id });
  const seqNum = id % 100_000;
  let day = Math.floor(id / 100_000);
  const controllerIndex = Math.floor(day / CONTROLLER_INCREMENT) - 2;
  if (controllerIndex < 0 || controllerIndex >= CONTROLLERS.length) {
    throw new DaqsimError('OUT_OF_RANGE', `exposure id ${id} does not encode a day_obs`, { id });
  }
  day -= controllerIndex * CONTROLLER_INCREMENT;
  return { dayObs: checkDayObs(day), seqNum, controllerIndex };
}

function dayOrdinal(day: number): number {
  const s = String(day);
  return (Date.UTC(Number(s.slice(0, 4)), Number(s.slice(4, 6)) - 1, Number(s.slice(6, 8))) - PACKER_DAY_BEGIN) / 86_400_000;
}

/**
 * obs_lsst detector_exposure_id for LATISS and the LSST family (RubinDimensionPacker with controllers):
 * detector + 256 * (seq_num + 32768 * (days since 2010-01-01 + 16384 * controller index)), where the controller
 * index is the one folded into the exposure id. Example: exposure 2025101500123, detector 94 -> 48368745310.
 * The packer only has room for seq_num < 32768 and detectors < 256; larger values throw, as obs_lsst does.
 */
export function detectorExposureId(expId: number, detector: number): number {
  const { dayObs: day, seqNum, controllerIndex } = unpackExposureId(expId);
  if (!Number.isSafeInteger(detector) || detector < 0 || detector >= PACKER_DETECTORS) {
    throw new DaqsimError('BAD_DETECTOR_NUM', `detector must be 0..${PACKER_DETECTORS - 1}, got ${detector}`, { detector });
  }
  if (seqNum >= PACKER_SEQ_NUMS) {
    throw new DaqsimError('BAD_SEQNUM', `detector_exposure_id needs seq_num < ${PACKER_SEQ_NUMS}, got ${seqNum}`, { seqNum });
  }
  const days = dayOrdinal(day);
  if (days < 0 || days > PACKER_DAYS) throw new DaqsimError('BAD_DAYOBS', `day_obs ${day} is outside 2010-01-01 + ${PACKER_DAYS} days`, { dayObs: day });
  if (controllerIndex >= PACKER_CONTROLLERS) throw new DaqsimError('BAD_CONTROLLER', 'controller index out of range', { controllerIndex });
  return detector + PACKER_DETECTORS * (seqNum + PACKER_SEQ_NUMS * (days + PACKER_DAYS * controllerIndex));
}

/** LSSTCam-imSim detector_exposure_id: exposure_id * 1000 + detector. */
export function imsimDetectorExposureId(expId: number, detector: number): number {
  if (!Number.isSafeInteger(detector) || detector < 0 || detector >= 1000) {
    throw new DaqsimError('BAD_DETECTOR_NUM', `detector must be 0..999, got ${detector}`, { detector });
  }
  const id = expId * 1000 + detector;
  if (!Number.isSafeInteger(id) || expId < 0) throw new DaqsimError('OUT_OF_RANGE', `exposure id ${expId} too large`, { expId });
  return id;
}

/** Largest exposure id obs_lsst's imSim translator declares (max_exposure_id). */
export const IMSIM_MAX_EXPOSURE_ID = 9_999_999;

/**
 * The integer OBSID (= exposure id = visit id) of an LSSTCam-imSim frame. DC2 visit numbers were OpSim row ids;
 * we derive ours from the night and sequence as days since 2020-01-01 * 1000 + seq_num so they stay unique and
 * inside the translator's 7-digit maximum until 2047 (seq_num is then limited to 999 per night).
 */
export function imsimVisitId(day: number, seqNum: number): number {
  const d = checkDayObs(day);
  const seq = checkSeqNum(seqNum);
  if (seq > 999) throw new DaqsimError('BAD_SEQNUM', `imSim visit ids allow seq_num 0..999 per night, got ${seq}`, { seqNum: seq, max: 999 });
  const s = String(d);
  const days = (Date.UTC(Number(s.slice(0, 4)), Number(s.slice(4, 6)) - 1, Number(s.slice(6, 8))) - Date.UTC(2020, 0, 1)) / 86_400_000;
  const id = days * 1000 + seq;
  if (days < 0 || id > IMSIM_MAX_EXPOSURE_ID) {
    throw new DaqsimError('BAD_DAYOBS', `imSim visit ids cover day_obs 20200101-20470518, got ${d}`, { dayObs: d });
  }
  return id;
}

const GROUP_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{3})(?:[+#](\d+))?$/;

/**
 * A group id in the form ts_observatory_control makes (`Time.now().tai.isot`): the TAI ISO time of the start of
 * the script execution, with an optional `+N` suffix for the N-th group started in the same millisecond.
 */
export function groupId(t: Tai, n?: number): string {
  if (n === undefined || n === 0) return t.toIso();
  if (!Number.isSafeInteger(n) || n < 0 || n > 9999) throw new DaqsimError('BAD_GROUPID', `group suffix must be 0..9999, got ${n}`, { n });
  return `${t.toIso()}+${n}`;
}

/**
 * obs_lsst visit_id from GROUPID (LSST family and LATISS): an ISO group id gives the digits of (seconds since
 * 2015-01-01T00:00, calendar arithmetic), then its 3 millisecond digits, then N zero-padded to 4; an integer
 * string is used as is; anything else is hashed (blake2b, first 14 hex digits, then the length as 2 digits).
 * Returned as a bigint because hash-based ids exceed 2^53.
 */
export function visitIdFromGroupId(group: string): bigint {
  if (/^[+-]?\d+$/.test(group.trim())) return BigInt(group.trim());
  const m = GROUP_RE.exec(group);
  if (m) {
    const epochS = (Tai.fromIso(m[1]!).ms - VISIT_EPOCH_MS) / 1000;
    const n = m[3] !== undefined ? Number(m[3]) : 0;
    return BigInt(`${epochS}${m[2]}${String(n).padStart(4, '0')}`);
  }
  const digest = createHash('blake2b512').update(Buffer.from(group, 'ascii')).digest('hex').slice(0, 14);
  return BigInt(`${BigInt(`0x${digest}`)}${String(group.length).padStart(2, '0')}`);
}

/** Per-CCD file name `{OBSID}_{Rnn}_{Snn}.fits`, `.fits.fz` when the amplifier HDUs are tile-compressed. */
export function fileName(obs: string, raft: string, slot: string, compressed = false): string {
  if (!/^R[0-9X]{2}$/.test(raft) || !/^S[A-Z0-9]{2}$/.test(slot)) {
    throw new DaqsimError('UNKNOWN_DETECTOR', `bad raft/slot ${raft}_${slot}`, { raft, slot });
  }
  return `${obs}_${raft}_${slot}.fits${compressed ? '.fz' : ''}`;
}
