/**
 * Validation of camera data files and their expansion into `Camera` objects. Data files come from outside the
 * type system, so everything is checked with a message that names the file and the JSON path at fault.
 */
import { DaqsimError } from '../errors.js';
import type {
  AmpGeometry,
  AmpLayout,
  Amplifier,
  Box,
  Camera,
  Detector,
  DetectorRole,
  DetsecStyle,
  Filter,
  HeaderStyle,
  ReservedDays,
} from './types.js';

type Json = unknown;

class Checker {
  constructor(private readonly source: string) {}

  fail(path: string, what: string): never {
    throw new DaqsimError('BAD_CAMERA_DATA', `${this.source}: ${path}: ${what}`, { source: this.source, path });
  }

  obj(v: Json, path: string): Record<string, Json> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'expected an object');
    return v as Record<string, Json>;
  }

  arr(v: Json, path: string, length?: number): Json[] {
    if (!Array.isArray(v)) this.fail(path, 'expected an array');
    if (length !== undefined && v.length !== length) this.fail(path, `expected ${length} elements, found ${v.length}`);
    return v;
  }

  num(v: Json, path: string, opts: { int?: boolean; min?: number; max?: number; positive?: boolean } = {}): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(path, 'expected a finite number');
    if (opts.int && !Number.isSafeInteger(v)) this.fail(path, 'expected an integer');
    if (opts.positive && !(v > 0)) this.fail(path, 'expected a positive number');
    if (opts.min !== undefined && v < opts.min) this.fail(path, `must be >= ${opts.min}`);
    if (opts.max !== undefined && v > opts.max) this.fail(path, `must be <= ${opts.max}`);
    return v;
  }

  str(v: Json, path: string, re?: RegExp): string {
    if (typeof v !== 'string' || v === '') this.fail(path, 'expected a non-empty string');
    if (re && !re.test(v)) this.fail(path, `${JSON.stringify(v)} does not match ${re}`);
    return v;
  }

  strOrNull(v: Json, path: string, re?: RegExp): string | null {
    return v === null ? null : this.str(v, path, re);
  }

  bool(v: Json, path: string): boolean {
    if (typeof v !== 'boolean') this.fail(path, 'expected true or false');
    return v;
  }

  oneOf<T extends string>(v: Json, path: string, allowed: readonly T[]): T {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) this.fail(path, `expected one of ${allowed.join(', ')}`);
    return v as T;
  }

  box(v: Json, path: string): Box {
    const a = this.arr(v, path, 4);
    const [x0, y0, width, height] = a.map((e, i) => this.num(e, `${path}[${i}]`, { int: true, min: 0 })) as [number, number, number, number];
    return { x0, y0, width, height };
  }

  pair(v: Json, path: string): [number, number] {
    const a = this.arr(v, path, 2);
    return [this.num(a[0], `${path}[0]`), this.num(a[1], `${path}[1]`)];
  }
}

const HEADER_STYLES: readonly HeaderStyle[] = ['lsst', 'latiss', 'imsim'];
const DETSEC_STYLES: readonly DetsecStyle[] = ['ccs', 'dm'];
const ROLES: readonly DetectorRole[] = ['science', 'guider', 'wavefront'];

function inside(b: Box, w: number, h: number): boolean {
  return b.x0 + b.width <= w && b.y0 + b.height <= h;
}

function parseLayout(c: Checker, name: string, v: Json, path: string): AmpLayout {
  const o = c.obj(v, path);
  const [rawWidth, rawHeight] = c.pair(o.rawSize, `${path}.rawSize`);
  const [ccdWidth, ccdHeight] = c.pair(o.ccdSize, `${path}.ccdSize`);
  const data = c.box(o.data, `${path}.data`);
  const serialPrescan = c.box(o.serialPrescan, `${path}.serialPrescan`);
  const serialOverscan = c.box(o.serialOverscan, `${path}.serialOverscan`);
  const parallelOverscan = c.box(o.parallelOverscan, `${path}.parallelOverscan`);
  for (const [k, b] of Object.entries({ data, serialPrescan, serialOverscan, parallelOverscan })) {
    if (!inside(b, rawWidth, rawHeight)) c.fail(`${path}.${k}`, 'box extends beyond the raw amplifier');
  }
  // Readout order: prescan | data | serial overscan along a row; data | parallel overscan up the columns.
  if (serialPrescan.x0 !== 0 || serialPrescan.width !== data.x0) c.fail(`${path}.serialPrescan`, 'must span the columns before the data');
  if (serialOverscan.x0 !== data.x0 + data.width || serialOverscan.x0 + serialOverscan.width !== rawWidth) {
    c.fail(`${path}.serialOverscan`, 'must span the columns after the data');
  }
  if (parallelOverscan.y0 !== data.y0 + data.height || parallelOverscan.x0 !== data.x0 || parallelOverscan.width !== data.width) {
    c.fail(`${path}.parallelOverscan`, 'must sit above the data columns');
  }
  const detsecStyle = c.oneOf(o.detsecStyle, `${path}.detsecStyle`, DETSEC_STYLES);
  const refPos = c.pair(o.refpos, `${path}.refpos`);
  const ampsJson = c.arr(o.amps, `${path}.amps`);
  if (ampsJson.length === 0) c.fail(`${path}.amps`, 'no amplifiers');
  const seen = new Set<string>();
  const cells = new Set<string>();
  const amps: AmpGeometry[] = ampsJson.map((a, index) => {
    const p = `${path}.amps[${index}]`;
    const ao = c.obj(a, p);
    const ampName = c.str(ao.name, `${p}.name`, /^C[0-9]{2}$/);
    if (seen.has(ampName)) c.fail(`${p}.name`, `duplicate amplifier ${ampName}`);
    seen.add(ampName);
    const ix = c.num(ao.ix, `${p}.ix`, { int: true, min: 0 });
    const iy = c.num(ao.iy, `${p}.iy`, { int: true, min: 0 });
    const cell = `${ix},${iy}`;
    if (cells.has(cell)) c.fail(p, `two amplifiers at grid cell ${cell}`);
    cells.add(cell);
    const ccdBox = { x0: ix * data.width, y0: iy * data.height, width: data.width, height: data.height };
    if (!inside(ccdBox, ccdWidth, ccdHeight)) c.fail(p, 'data block falls outside the assembled CCD');
    return {
      name: ampName,
      extname: `Segment${ampName.slice(1)}`,
      hdu: index + 1,
      index,
      ix,
      iy,
      flipX: c.bool(ao.flipX, `${p}.flipX`),
      flipY: c.bool(ao.flipY, `${p}.flipY`),
      ccdBox,
    };
  });
  // Distinct in-bounds tiles of equal size cover the CCD exactly once iff their areas add up to it.
  if (amps.length * data.width * data.height !== ccdWidth * ccdHeight) c.fail(path, 'amplifier tiles do not cover the assembled CCD exactly');
  return {
    name,
    rawWidth,
    rawHeight,
    data,
    serialPrescan,
    serialOverscan,
    parallelOverscan,
    ccdWidth,
    ccdHeight,
    refPos,
    detsecStyle,
    amps,
  };
}

function perAmp(c: Checker, v: Json, path: string, n: number, opts: { positive?: boolean; min?: number }): number[] {
  if (typeof v === 'number') return new Array<number>(n).fill(c.num(v, path, opts));
  return c.arr(v, path, n).map((e, i) => c.num(e, `${path}[${i}]`, opts));
}

interface PhysicalTypeInfo {
  layout: AmpLayout;
  vendor: string;
  ccdManu: string;
  ccdType: string;
  biasLevel: number;
  role: DetectorRole;
}

/** Validate a parsed camera data file (`CameraFile` JSON) and build the `Camera`. */
export function parseCamera(json: Json, source = 'camera data'): Camera {
  const c: Checker = new Checker(source);
  const o = c.obj(json, '$');
  if (o.schemaVersion !== 1) c.fail('$.schemaVersion', 'unsupported schema version (expected 1)');
  const key = c.str(o.key, '$.key', /^[a-z0-9][a-z0-9-]*$/);
  const headerStyle = c.oneOf(o.headerStyle, '$.headerStyle', HEADER_STYLES);
  const instrume = c.strOrNull(o.instrume, '$.instrume');
  const obsIdPrefix = c.strOrNull(o.obsIdPrefix, '$.obsIdPrefix', /^[A-Z]{2}$/);
  if (headerStyle !== 'imsim' && (instrume === null || obsIdPrefix === null)) {
    c.fail('$', `header style ${headerStyle} needs INSTRUME and an OBSID camera code`);
  }
  if (headerStyle === 'imsim' && instrume !== null) c.fail('$.instrume', 'imSim headers must not carry INSTRUME (it hijacks translation)');
  const pixelSizeMm = c.num(o.pixelSizeMm, '$.pixelSizeMm', { positive: true });
  const coeffs = c.arr(o.fieldAngleRadialCoeffs, '$.fieldAngleRadialCoeffs').map((e, i) => c.num(e, `$.fieldAngleRadialCoeffs[${i}]`));
  if (!((coeffs[1] ?? 0) > 0) || coeffs[0] !== 0) c.fail('$.fieldAngleRadialCoeffs', 'need c0 = 0 and c1 > 0');

  const siteJson = c.obj(o.site, '$.site');
  const obsgeo = c.arr(siteJson.obsgeo, '$.site.obsgeo', 3).map((e, i) => c.num(e, `$.site.obsgeo[${i}]`)) as [number, number, number];
  const site = {
    longitude: c.num(siteJson.longitude, '$.site.longitude', { min: -180, max: 180 }),
    latitude: c.num(siteJson.latitude, '$.site.latitude', { min: -90, max: 90 }),
    elevation: c.num(siteJson.elevation, '$.site.elevation'),
    obsgeo,
  };
  const timingJson = c.obj(o.timing, '$.timing');
  const timing = {
    readoutTime: c.num(timingJson.readoutTime, '$.timing.readoutTime', { min: 0 }),
    shutterOverhead: c.num(timingJson.shutterOverhead, '$.timing.shutterOverhead', { min: 0 }),
  };

  const filters: Filter[] = c.arr(o.filters, '$.filters').map((f, i) => {
    const p = `$.filters[${i}]`;
    const fo = c.obj(f, p);
    const filter: Filter = {
      physical: c.str(fo.physical, `${p}.physical`),
      band: c.str(fo.band, `${p}.band`),
      filter: c.str(fo.filter, `${p}.filter`),
      grating: fo.grating === undefined ? undefined : c.str(fo.grating, `${p}.grating`),
      throughputsVersion: fo.throughputsVersion === undefined ? undefined : c.str(fo.throughputsVersion, `${p}.throughputsVersion`),
    };
    if (headerStyle === 'latiss' && filter.grating === undefined) c.fail(p, 'LATISS filters need a grating');
    if (headerStyle === 'imsim' && filter.throughputsVersion === undefined) c.fail(p, 'imSim filters need a throughputs version');
    return filter;
  });
  if (filters.length === 0) c.fail('$.filters', 'no filters');
  if (new Set(filters.map((f) => f.physical)).size !== filters.length) c.fail('$.filters', 'duplicate physical filter');
  const defaultFilter = c.str(o.defaultFilter, '$.defaultFilter');
  if (!filters.some((f) => f.physical === defaultFilter)) c.fail('$.defaultFilter', `${defaultFilter} is not among the filters`);

  const aliases: Record<string, string> = {};
  if (o.imageTypeAliases !== undefined) {
    for (const [k, v] of Object.entries(c.obj(o.imageTypeAliases, '$.imageTypeAliases'))) aliases[k] = c.str(v, `$.imageTypeAliases.${k}`);
  }

  const layouts: Record<string, AmpLayout> = {};
  for (const [name, v] of Object.entries(c.obj(o.ampLayouts, '$.ampLayouts'))) layouts[name] = parseLayout(c, name, v, `$.ampLayouts.${name}`);

  const types = new Map<string, PhysicalTypeInfo>();
  for (const [name, v] of Object.entries(c.obj(o.physicalTypes, '$.physicalTypes'))) {
    const p = `$.physicalTypes.${name}`;
    const t = c.obj(v, p);
    const layoutName = c.str(t.layout, `${p}.layout`);
    const layout = layouts[layoutName];
    if (!layout) c.fail(`${p}.layout`, `unknown layout ${layoutName}`);
    types.set(name, {
      layout,
      vendor: c.str(t.vendor, `${p}.vendor`),
      ccdManu: c.str(t.ccdManu, `${p}.ccdManu`),
      ccdType: c.str(t.ccdType, `${p}.ccdType`),
      biasLevel: c.num(t.biasLevel, `${p}.biasLevel`, { min: 0 }),
      role: c.oneOf(t.role, `${p}.role`, ROLES),
    });
  }

  const raftSerials: Record<string, string> = {};
  if (o.raftSerials !== undefined) {
    for (const [k, v] of Object.entries(c.obj(o.raftSerials, '$.raftSerials'))) raftSerials[k] = c.str(v, `$.raftSerials.${k}`);
  }

  const reservedDayObs: ReservedDays[] = [];
  if (o.reservedDayObs !== undefined) {
    c.arr(o.reservedDayObs, '$.reservedDayObs').forEach((w, i) => {
      const p = `$.reservedDayObs[${i}]`;
      const wo = c.obj(w, p);
      const from = c.num(wo.from, `${p}.from`, { int: true, min: 10000101, max: 99991231 });
      const to = c.num(wo.to, `${p}.to`, { int: true, min: from, max: 99991231 });
      const controllers = wo.controllers === undefined ? undefined : c.str(wo.controllers, `${p}.controllers`, /^[OCHPQS]+$/);
      reservedDayObs.push({ from, to, controllers, reason: c.str(wo.reason, `${p}.reason`) });
    });
  }

  const ids = new Set<number>();
  const names = new Set<string>();
  const detectors: Detector[] = c.arr(o.detectors, '$.detectors').map((d, i) => {
    const p = `$.detectors[${i}]`;
    const dj = c.obj(d, p);
    const id = c.num(dj.id, `${p}.id`, { int: true, min: 0 });
    const name = c.str(dj.name, `${p}.name`, /^R[0-9X]{2}_S[A-Z0-9]{2}$/);
    const raft = c.str(dj.raft, `${p}.raft`, /^R[0-9]{2}$/);
    const slot = c.str(dj.slot, `${p}.slot`, /^S[A-Z0-9]{2}$/);
    if (ids.has(id)) c.fail(`${p}.id`, `duplicate detector id ${id}`);
    ids.add(id);
    // Both the DM name and the header raft_slot (which differ for LATISS) must be unique across detectors.
    for (const k of new Set([name, `${raft}_${slot}`])) {
      if (names.has(k)) c.fail(p, `duplicate detector name ${k}`);
      names.add(k);
    }
    const typeName = c.str(dj.type, `${p}.type`);
    const type = types.get(typeName);
    if (!type) c.fail(`${p}.type`, `unknown physical type ${typeName}`);
    const n = type.layout.amps.length;
    const gain = perAmp(c, dj.gain, `${p}.gain`, n, { positive: true });
    const readNoise = perAmp(c, dj.readNoise, `${p}.readNoise`, n, { min: 0 });
    const saturation = perAmp(c, dj.saturation, `${p}.saturation`, n, { positive: true });
    const bias = dj.biasLevel === undefined ? new Array<number>(n).fill(type.biasLevel) : perAmp(c, dj.biasLevel, `${p}.biasLevel`, n, { min: 0 });
    const center = c.arr(dj.center, `${p}.center`, 3).map((e, k) => c.num(e, `${p}.center[${k}]`)) as [number, number, number];
    const amps: Amplifier[] = type.layout.amps.map((a, k) => ({
      ...a,
      gain: gain[k]!,
      readNoise: readNoise[k]!,
      biasLevel: bias[k]!,
      saturation: saturation[k]!,
    }));
    return {
      id,
      name,
      raft,
      slot,
      role: type.role,
      physicalType: typeName,
      vendor: type.vendor,
      serial: c.str(dj.serial, `${p}.serial`),
      raftSerial: raftSerials[raft],
      ccdManu: type.ccdManu,
      ccdType: type.ccdType,
      centerMm: center,
      yawDeg: c.num(dj.yaw, `${p}.yaw`),
      pixelSizeMm,
      layout: type.layout,
      amps,
    };
  });
  if (detectors.length === 0) c.fail('$.detectors', 'no detectors');
  detectors.sort((a, b) => a.id - b.id);

  return {
    key,
    name: c.str(o.name, '$.name'),
    description: c.str(o.description, '$.description'),
    headerStyle,
    instrume,
    telescop: c.strOrNull(o.telescop, '$.telescop'),
    obsIdPrefix,
    dayObsOffsetHours: c.num(o.dayObsOffsetHours, '$.dayObsOffsetHours', { min: -24, max: 24 }),
    plateScaleArcsecPerMm: c.num(o.plateScaleArcsecPerMm, '$.plateScaleArcsecPerMm', { positive: true }),
    pixelSizeMm,
    fieldAngleRadialCoeffs: coeffs,
    wcsFlipX: c.bool(o.wcsFlipX, '$.wcsFlipX'),
    rotationKeyword: c.oneOf(o.rotationKeyword, '$.rotationKeyword', ['ROTPA', 'ROTANGLE'] as const),
    site,
    timing,
    filters,
    defaultFilter,
    imageTypeAliases: aliases,
    layouts,
    reservedDayObs,
    detectors,
  };
}
