/**
 * The cameras shipped in packages/core/data/cameras. A camera is found by its file name, so adding one is adding
 * a JSON file (and a test); nothing here lists them. Cameras are parsed on first use and cached.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { DaqsimError } from '../errors.js';
import { parseCamera } from './load.js';
import type { Amplifier, Camera, Detector, Filter } from './types.js';

/** The cameras this package ships. Other keys work too when a data file or `registerCamera` provides them. */
export type BuiltinCameraKey = 'latiss' | 'comcam' | 'lsstcam' | 'dc2';

// src/cameras/ and dist/cameras/ are both two levels below the package root.
const DATA_DIR = new URL('../../data/cameras/', import.meta.url);

const cache = new Map<string, Camera>();

interface CameraIndex {
  byName: Map<string, Detector>;
  byId: Map<number, Detector>;
}
const indexes = new WeakMap<Camera, CameraIndex>();

/** Keys of every available camera: the shipped data files plus registered ones, sorted. */
export function listCameras(): string[] {
  const keys = new Set<string>(cache.keys());
  for (const f of readdirSync(DATA_DIR)) if (f.endsWith('.json')) keys.add(f.slice(0, -5));
  return [...keys].sort();
}

/** A camera by key ('latiss', 'comcam', 'lsstcam', 'dc2', or any other data file's name). */
export function getCamera(key: BuiltinCameraKey | (string & {})): Camera {
  const hit = cache.get(key);
  if (hit) return hit;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(key) || !listCameras().includes(key)) {
    throw new DaqsimError('UNKNOWN_CAMERA', `unknown camera ${JSON.stringify(key)}; available: ${listCameras().join(', ')}`, { key });
  }
  const file = new URL(`${key}.json`, DATA_DIR);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DaqsimError('BAD_CAMERA_DATA', `cannot read ${file.pathname}: ${(e as Error).message}`, { key });
  }
  const camera = parseCamera(json, `${key}.json`);
  if (camera.key !== key) throw new DaqsimError('BAD_CAMERA_DATA', `${key}.json declares key ${camera.key}`, { key });
  cache.set(key, camera);
  return camera;
}

/** Make a camera from data held elsewhere available to `getCamera` (validated like the shipped ones). */
export function registerCamera(json: unknown, source = 'registered camera'): Camera {
  const camera = parseCamera(json, source);
  cache.set(camera.key, camera);
  return camera;
}

function indexOf(camera: Camera): CameraIndex {
  let idx = indexes.get(camera);
  if (!idx) {
    idx = { byName: new Map(), byId: new Map() };
    for (const d of camera.detectors) {
      idx.byId.set(d.id, d);
      idx.byName.set(d.name, d);
      idx.byName.set(`${d.raft}_${d.slot}`, d);
    }
    indexes.set(camera, idx);
  }
  return idx;
}

/** A detector by DM id, DM name ('R22_S11', 'RXX_S00') or header raft_slot ('R00_S00' on LATISS). */
export function getDetector(camera: Camera, key: number | string): Detector {
  const idx = indexOf(camera);
  const d = typeof key === 'number' ? idx.byId.get(key) : idx.byName.get(key);
  if (!d) throw new DaqsimError('UNKNOWN_DETECTOR', `${camera.name} has no detector ${JSON.stringify(key)}`, { camera: camera.key, detector: key });
  return d;
}

/** An amplifier by DM name ('C10'), EXTNAME ('Segment10') or 1-based HDU number. */
export function getAmp(detector: Detector, key: string | number): Amplifier {
  const a = detector.amps.find((x) => (typeof key === 'number' ? x.hdu === key : x.name === key || x.extname === key));
  if (!a) throw new DaqsimError('UNKNOWN_AMP', `${detector.name} has no amplifier ${JSON.stringify(key)}`, { detector: detector.name, amp: key });
  return a;
}

/** A filter by physical name ('r_57', 'SDSSr_65mm~empty', 'r_sim_1.4'). */
export function getFilter(camera: Camera, physical: string): Filter {
  const f = camera.filters.find((x) => x.physical === physical);
  if (!f) {
    throw new DaqsimError('UNKNOWN_FILTER', `${camera.name} has no filter ${JSON.stringify(physical)}; known: ${camera.filters.map((x) => x.physical).join(', ')}`, {
      camera: camera.key,
      filter: physical,
    });
  }
  return f;
}
