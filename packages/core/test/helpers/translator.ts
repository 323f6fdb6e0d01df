/**
 * A test oracle for what astro_metadata_translator + obs_lsst make of a primary header, written from the rules in
 * the project reference headers.md (sections 2-9), independently of the code under test: detector numbers come
 * from the section 5 formulas, registered filters from the section 8 lists. `translate` returns the properties the
 * translators would compute and every rule the header breaks (ING = ingest rejects, ERR = property fails,
 * TRAP = a silent change the reference warns about).
 */
import type { Card, Header } from '@daqsim/fits';

export interface Translation {
  translator: string | null;
  problems: string[];
  props: Record<string, string | number | boolean | null>;
}

const SIMONYI = 'Simonyi Survey Telescope';
const LSSTCAM_FILTERS = ['u_24', 'g_6', 'r_57', 'i_39', 'z_20', 'y_10', 'ph_5', 'ef_43', 'empty', 'none', 'unknown'];
const COMCAM_FILTERS = ['u_02', 'u_05', 'u_06', 'g_01', 'g_07', 'r_03', 'i_06', 'z_02', 'z_03', 'y_04', 'pinhole', 'OG590_2_5mm', 'empty', 'none', 'unknown'];
const LATISS_FILTERS = [
  'empty', 'blank_bk7_wg05', 'KPNO_1111_436nm', 'KPNO_373A_677nm', 'KPNO_406_828nm', 'unknown', 'BG40', 'BG40_65mm_1',
  'BG40_65mm_2', 'quadnotch1', 'RG610', 'OG550_65mm_1', 'OG550_65mm_2', 'FELH0600', 'SDSSg', 'SDSSr', 'SDSSi', 'collimator',
  'cyl_lens', 'SDSSu_65mm', 'SDSSg_65mm', 'SDSSr_65mm', 'SDSSi_65mm', 'SDSSz_65mm', 'SDSSy_65mm',
];
const LATISS_GRATINGS = ['ronchi90lpmm', 'ronchi170lpmm', 'empty', 'unknown', 'holo4_003', 'blue300lpmm_qn1', 'holo4_001'];
const SDSS65 = ['SDSSu_65mm', 'SDSSg_65mm', 'SDSSr_65mm', 'SDSSi_65mm', 'SDSSz_65mm', 'SDSSy_65mm'];
const IMSIM_FILTERS = [...'ugrizy'].flatMap((b) => [b, `${b}_sim_1.4`]);
const CONTROLLERS = 'OCHPQS';
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/;
const SCIENCE_RAFTS = ['R01', 'R02', 'R03', 'R10', 'R11', 'R12', 'R13', 'R14', 'R20', 'R21', 'R22', 'R23', 'R24', 'R30', 'R31', 'R32', 'R33', 'R34', 'R41', 'R42', 'R43'];
const CORNER_RAFTS = ['R00', 'R04', 'R40', 'R44'];
const CORNER_SLOTS = ['SG0', 'SG1', 'SW0', 'SW1'];

/** headers.md section 5: LSSTCam/LSSTCamSim detector numbering (imSim: science part only). */
export function lsstCamDetectorNum(raft: string, slot: string, corners = true): number | null {
  const r = SCIENCE_RAFTS.indexOf(raft);
  const m = /^S([0-2])([0-2])$/.exec(slot);
  if (r >= 0 && m) return r * 9 + 3 * Number(m[1]) + Number(m[2]);
  const c = CORNER_RAFTS.indexOf(raft);
  const s = CORNER_SLOTS.indexOf(slot);
  if (corners && c >= 0 && s >= 0) return 189 + 4 * c + s;
  return null;
}

function isoToMs(s: string): number {
  const [d, t] = s.split('T') as [string, string];
  const [y, mo, da] = d.split('-').map(Number) as [number, number, number];
  const [h, mi, sec] = t.split(':').map(Number) as [number, number, number];
  return Date.UTC(y, mo - 1, da, h, mi, 0) + Math.round(sec * 1000);
}

function mjdToMs(mjd: number): number {
  return Math.round((mjd - 40587) * 86_400_000);
}

export function translate(h: Header): Translation {
  const problems: string[] = [];
  const props: Translation['props'] = {};
  const card = (k: string): Card | undefined => {
    const c = h.card(k);
    return c && c.type !== 'undefined' ? c : undefined;
  };
  const has = (k: string): boolean => card(k) !== undefined;
  const str = (k: string): string | undefined => {
    const c = card(k);
    return c?.type === 'string' ? (c.value as string) : undefined;
  };
  const num = (k: string): number | undefined => {
    const c = card(k);
    return c && (c.type === 'int' || c.type === 'float') ? Number(c.value) : undefined;
  };
  const need = (k: string, level: string): void => {
    if (!has(k)) problems.push(`${level}: ${k} missing`);
  };

  // Section 2: translator selection, first match wins.
  const instrume = str('INSTRUME');
  const telescop = str('TELESCOP');
  const testtype = str('TESTTYPE');
  let translator: string | null = null;
  if (instrume?.toLowerCase() === 'lsstcam') translator = 'LSSTCam';
  else if (instrume === undefined && (has('CREATOR') || testtype === 'PHOSIM')) translator = 'PhoSim';
  else if (str('TSTAND') === 'BNL-TS3-2-Janeway') translator = 'TS3';
  else if (str('TSTAND') === 'TS8') translator = 'TS8';
  else if (testtype === 'IMSIM') translator = 'LSSTCam-imSim';
  else if (instrume === 'LATISS' || instrume === 'LSST_ATISS' || str('DETNAME') === 'RXX_S00') translator = 'LATISS';
  else if (['lsst-ucdcam', 'lsst-ucdcam-itl'].includes(instrume?.toLowerCase() ?? '')) translator = 'LSST-UCDCam';
  else if (instrume?.toLowerCase() === 'comcam' && (telescop === SIMONYI || telescop === 'LSST')) translator = 'LSSTComCam';
  else if (instrume?.toLowerCase() === 'comcamsim' && (telescop === SIMONYI || telescop === 'LSST')) translator = 'LSSTComCamSim';
  else if (instrume?.toLowerCase() === 'lsstcamsim' && (telescop === SIMONYI || telescop === 'LSST')) translator = 'LSSTCamSim';
  if (translator === null) return { translator, problems: ['ING: no translator recognises the header'], props };
  if (['PhoSim', 'TS3', 'TS8', 'LSST-UCDCam'].includes(translator)) problems.push(`TRAP: header selects ${translator}`);
  props.instrument = translator;

  // Section 4 formats, everywhere.
  for (const k of ['DATE-OBS', 'DATE-BEG', 'DATE-END', 'DATE']) {
    const v = str(k);
    if (v !== undefined && !ISO_RE.test(v)) problems.push(`ING: ${k} ${JSON.stringify(v)} is not ISO without zone`);
  }
  if (str('TIMESYS') !== 'TAI') problems.push('TRAP: TIMESYS is not TAI, DATE-END shifts by 37 s');

  // datetime_begin / end.
  let begin: number | undefined;
  for (const k of ['MJD-BEG', 'DATE-BEG', 'MJD-OBS', 'DATE-OBS']) {
    if (!has(k)) continue;
    begin = k.startsWith('MJD') ? mjdToMs(num(k)!) : isoToMs(str(k)!);
    break;
  }
  if (begin === undefined) problems.push('ING: no begin date');
  const exptime = num('EXPTIME');
  if (exptime === undefined) problems.push('ING: EXPTIME missing');
  else if (card('EXPTIME')!.type !== 'float') problems.push('TRAP: EXPTIME is not a float');
  const end = has('DATE-END') ? isoToMs(str('DATE-END')!) : (begin ?? 0) + (exptime ?? 0) * 1000;
  if (begin !== undefined && end < begin) problems.push('TRAP: datetime_end before datetime_begin');
  props.datetime_begin = begin ?? null;
  props.datetime_end = end;
  props.exposure_time_requested = exptime ?? null;
  const shuttime = num('SHUTTIME');
  props.exposure_time = shuttime !== undefined && shuttime > 0 ? shuttime : (exptime ?? null);
  props.dark_time = num('DARKTIME') ?? null;
  if (!has('DARKTIME')) problems.push(translator === 'LSSTCam-imSim' ? 'ERR: DARKTIME missing' : 'TRAP: DARKTIME missing');

  const simulatedKey = h.list().some((c) => c.key.includes('SIMULATE') && c.type !== 'commentary' && c.value !== null && c.value !== false && c.value !== 0 && c.value !== '');

  if (translator === 'LSSTCam-imSim') {
    for (const k of ['INSTRUME', 'HASTART']) if (has(k)) problems.push(`TRAP: imSim header carries ${k}`);
    need('RAFTNAME', 'ING');
    need('SENSNAME', 'ING');
    need('LSST_NUM', 'ERR');
    const raft = str('RAFTNAME') ?? '';
    const slot = str('SENSNAME') ?? '';
    const det = lsstCamDetectorNum(raft, slot, false);
    if (det === null) problems.push(`ING: unknown detector ${raft}_${slot}`);
    props.detector_num = det;
    const obsid = card('OBSID');
    if (obsid?.type !== 'int') problems.push('ING: imSim OBSID must be an integer');
    props.exposure_id = obsid ? Number(obsid.value) : null;
    props.visit_id = props.exposure_id;
    props.observation_id = obsid ? String(obsid.value) : null;
    if (Number(props.exposure_id) > 9_999_999) problems.push('TRAP: imSim exposure id above max_exposure_id 9999999');
    need('RUNNUM', 'ERR');
    props.science_program = str('RUNNUM') ?? null;
    props.observation_counter = 0;
    props.has_simulated_content = true;
    // Day offset 0.
    props.observing_day = begin !== undefined ? Number(new Date(begin).toISOString().slice(0, 10).replace(/-/g, '')) : null;
    if (has('DAYOBS') && Number(str('DAYOBS') ?? num('DAYOBS')) !== props.observing_day) problems.push('TRAP: DAYOBS disagrees with the TAI date');
    // Filter.
    let version: string | undefined;
    for (const c of h.list()) {
      if (c.key.startsWith('PKG') && c.value === 'throughputs') {
        const vk = `VER${c.key.slice(3)}`;
        if (!has(vk)) problems.push(`ING: ${c.key} without ${vk}`);
        version = str(vk)?.trim();
        break;
      }
    }
    const filt = str('FILTER') ?? 'unknown';
    props.physical_filter = version === undefined ? filt : `${filt}_sim_${version}`;
    need('RATEL', 'ERR');
    need('DECTEL', 'ERR');
    need('ROTANGLE', 'ERR');
    props.boresight_rotation_angle = has('ROTANGLE') ? (((90 - num('ROTANGLE')!) % 360) + 360) % 360 : null;
    props.tracking_ra = num('RATEL') ?? null;
    props.tracking_dec = num('DECTEL') ?? null;
    if (!has('AIRMASS') && !has('AMSTART')) problems.push('TRAP: no AIRMASS/AMSTART');
    const t = str('IMGTYPE')?.toLowerCase();
    props.observation_type = t === 'object' || t === 'skyexp' ? 'science' : (t ?? null);
    if (!IMSIM_FILTERS.includes(String(props.physical_filter))) problems.push(`ING: filter ${props.physical_filter} not registered`);
    return { translator, problems, props };
  }

  // LSST family and LATISS.
  const latiss = translator === 'LATISS';
  need('OBSID', 'ING');
  props.observation_id = str('OBSID') ?? null;
  let dayobs: number | undefined;
  let seqnum: number | undefined;
  const dayCard = card('DAYOBS');
  if (dayCard) {
    const s = String(dayCard.value);
    if (!/^\d{8}$/.test(s)) problems.push(`ING: DAYOBS ${JSON.stringify(s)} is not YYYYMMDD`);
    else dayobs = Number(s);
  }
  const seqCard = card('SEQNUM');
  if (seqCard) {
    seqnum = Number(seqCard.value);
    if (!Number.isInteger(seqnum) || seqnum < 0 || seqnum >= 100_000) problems.push('ING: SEQNUM out of range');
  }
  if (latiss && props.observation_id !== null) {
    // Fix-up: DAYOBS/SEQNUM from OBSID when missing.
    const m = /_(\d{8})_(\d{6})$/.exec(String(props.observation_id));
    if (m && dayobs === undefined) dayobs = Number(m[1]);
    if (m && seqnum === undefined) seqnum = Number(m[2]);
  }
  if (dayobs === undefined || seqnum === undefined) problems.push('ING: DAYOBS or SEQNUM missing');
  if (has('CALIB_ID')) problems.push('ING: CALIB_ID makes exposure_id None');
  const controller = str('CONTRLLR') ?? 'O';
  let index = CONTROLLERS.indexOf(controller);
  if (index < 0) problems.push(`ING: unknown controller ${controller}`);
  if (dayobs !== undefined && seqnum !== undefined && index >= 0) {
    if (controller === 'C' && dayobs > 20231004) index = 0;
    if ('PQS'.includes(controller) && dayobs > 20250417) index = 0;
    props.exposure_id = Number(`${dayobs + 10_000_000 * index}${String(seqnum).padStart(5, '0')}`);
  }
  props.observing_day = dayobs ?? null;
  props.observation_counter = seqnum ?? null;
  // Section 6 / pitfall 4: DAYOBS must equal date(DATE-BEG TAI - 12 h), nothing else checks it.
  if (begin !== undefined && dayobs !== undefined) {
    const expected = Number(new Date(begin - 12 * 3_600_000).toISOString().slice(0, 10).replace(/-/g, ''));
    if (expected !== dayobs) problems.push(`TRAP: DAYOBS ${dayobs} is not date(DATE-BEG - 12 h) = ${expected}`);
  }
  // OBSID consistency (pitfall 4).
  if (props.observation_id !== null && dayobs !== undefined && seqnum !== undefined) {
    const code = latiss ? 'AT' : translator === 'LSSTCam' ? 'MC' : 'CC';
    const want = `${code}_${controller}_${dayobs}_${String(seqnum).padStart(6, '0')}`;
    if (props.observation_id !== want) problems.push(`TRAP: OBSID ${props.observation_id} is not ${want}`);
  }
  const cur = num('CURINDEX') ?? 1;
  const max = num('MAXINDEX') ?? 1;
  props.group_counter_start = seqnum !== undefined ? seqnum - cur + 1 : null;
  props.group_counter_end = seqnum !== undefined ? seqnum + max - cur : null;
  props.exposure_group = str('GROUPID') ?? String(props.exposure_id);
  props.has_simulated_content = simulatedKey || 'HPQS'.includes(controller);

  // Observation type.
  const rawType = (latiss ? (str('OBSTYPE') ?? str('IMGTYPE')) : str('IMGTYPE'))?.toLowerCase();
  if (rawType === undefined) problems.push(latiss ? 'TRAP: no OBSTYPE/IMGTYPE' : 'ING: IMGTYPE missing');
  props.observation_type = rawType === 'object' || rawType === 'skyexp' ? 'science' : (rawType ?? null);
  const science = props.observation_type === 'science';
  const nonSky = ['bias', 'flat', 'dark'].includes(String(props.observation_type));

  // Detector.
  if (latiss) {
    props.detector_num = 0;
    props.detector_name = 'RXX_S00';
  } else {
    need('RAFTBAY', 'ING');
    need('CCDSLOT', 'ING');
    const raft = str('RAFTBAY') ?? '';
    const slot = str('CCDSLOT') ?? '';
    let det: number | null = null;
    if (translator === 'LSSTCam' || translator === 'LSSTCamSim') det = lsstCamDetectorNum(raft, slot);
    else if (raft === 'R22') {
      const m = /^S([0-2])([0-2])$/.exec(slot);
      det = m ? 3 * Number(m[1]) + Number(m[2]) : null;
    }
    if (det === null) problems.push(`ING: unknown detector ${raft}_${slot}`);
    props.detector_num = det;
    if (!has('LSST_NUM') && translator !== 'LSSTComCam') problems.push('ERR: LSST_NUM missing');
  }
  props.detector_serial = str('LSST_NUM') ?? null;

  // Physical filter.
  let filter: string;
  if (latiss) {
    const side = (k: string): string => {
      const v = str(k);
      if (v === undefined) return 'unknown';
      return /^empty_\d+$/.test(v) ? 'empty' : v;
    };
    filter = `${side('FILTER')}~${side('GRATING')}`;
    const [f, g] = filter.split('~') as [string, string];
    const ok = (LATISS_FILTERS.includes(f) && LATISS_GRATINGS.includes(g)) || (f === 'empty' && SDSS65.includes(g));
    if (!ok) problems.push(`ING: LATISS filter ${filter} not registered`);
  } else {
    const parts = ['FILTER', 'FILTER1', 'FILTER2'].map(str).filter((v): v is string => v !== undefined);
    filter = parts.join('~') || 'unknown';
    while (filter.endsWith('~empty')) filter = filter.slice(0, -6);
    filter = filter.replace('NONE', 'none');
    if (translator === 'LSSTComCam' && (filter === 'r' || filter === '')) filter = 'empty';
    const list = translator === 'LSSTCam' || translator === 'LSSTCamSim' ? LSSTCAM_FILTERS : COMCAM_FILTERS;
    if (!list.includes(filter)) problems.push(`ING: filter ${filter} not registered for ${translator}`);
  }
  props.physical_filter = filter;

  // Pointing (section 3 and 7).
  if (!nonSky || props.observation_type === 'dark') {
    const date = str('DATE');
    if (date === undefined) problems.push('ERR: DATE missing, tracking_radec fails');
    else if (date === str('DATE-OBS')) problems.push('TRAP: DATE equals DATE-OBS, RA/Dec taken from AZ/EL');
    if (!(has('RASTART') && has('DECSTART')) && !(has('RA') && has('DEC'))) problems.push('ERR: no RASTART/DECSTART or RA/DEC');
    if (has('TRACKSYS') && str('TRACKSYS') !== 'RADEC') problems.push('TRAP: TRACKSYS is not RADEC');
  }
  if (science) {
    for (const k of ['AZSTART', 'ELSTART', 'AZEND', 'ELEND']) need(k, 'ERR');
    if ((num('ELSTART') ?? 90) < 0) problems.push('TRAP: science frame pointing below the horizon');
    if (!has('ROTPA') && !has('ROTANGLE')) problems.push('ERR: no ROTPA');
  }
  props.tracking_ra = num('RASTART') ?? num('RA') ?? null;
  props.tracking_dec = num('DECSTART') ?? num('DEC') ?? null;
  props.boresight_rotation_angle = num('ROTPA') ?? num('ROTANGLE') ?? null;
  props.altaz_begin_az = num('AZSTART') ?? null;
  props.altaz_begin_el = num('ELSTART') ?? null;
  props.boresight_airmass = num('AMSTART') ?? null;
  props.science_program = str('PROGRAM') ?? str('RUNNUM') ?? 'unknown';
  props.observation_reason = str('REASON') ?? str('TESTTYPE')?.toLowerCase() ?? 'unknown';
  props.object = str('OBJECT') ?? (latiss ? 'NOTSET' : 'UNKNOWN');
  if (latiss && props.dark_time !== null && exptime !== undefined && Number(props.dark_time) < exptime) {
    problems.push('TRAP: LATISS DARKTIME < EXPTIME');
  }
  const vign = str('VIGN_MIN');
  props.can_see_sky = shuttime === 0 ? false : vign === 'FULLY' ? false : vign === undefined || vign === 'UNKNOWN' ? null : true;
  return { translator, problems, props };
}
