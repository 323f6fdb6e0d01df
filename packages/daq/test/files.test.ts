/**
 * Real files end to end: the store layout with sidecars, headers that agree with the events, fitsverify, the image
 * endpoints (list, CCD stream, amp ImageBytes), playback of stored images, and the typed client.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FitsFile } from '@daqsim/fits';
import { fitsverify, missing, tempDir } from '../../../test/support/tools.js';
import { AckCode, DaqClient, defaultConfig, startServer, type DaqEvent, type RunningServer } from '../src/index.js';

let server: RunningServer;
let root: { dir: string; cleanup: () => void };
let client: DaqClient;
let first: { imageNames: string[]; events: Array<{ name: string; data: unknown }> };

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

beforeAll(async () => {
  root = tempDir('daqsim-files-');
  server = await startServer({
    ...defaultConfig('comcam'),
    store: join(root.dir, 'store'),
    playlistRoot: join(root.dir, 'store'),
    port: 0,
    timeScale: 0,
    heartbeat: false,
    initialState: 'OFFLINE',
  });
  client = new DaqClient({ baseUrl: server.url, csc: 'CCCamera' });
  await client.toEnabled();
  first = await client.takeImages({ numImages: 2, expTime: 1, shutter: true, sensors: 'R22_S11:R22_S12', keyValueMap: 'imageType: FLAT, groupId: 2025-10-16T03:00:00.000' }, { waitForFiles: true });
}, 60_000);

afterAll(async () => {
  await server?.close();
  root?.cleanup();
});

describe('the store', () => {
  it('holds {instrument}/{day_obs}/{obs_id}/{obs_id}_{Rnn_Snn}.fits.fz plus a JSON sidecar, and nothing half-written', () => {
    expect(first.imageNames).toHaveLength(2);
    const files = walk(join(root.dir, 'store')).map((p) => p.slice(join(root.dir, 'store').length + 1)).filter((p) => !p.startsWith('.daqsim/'));
    const [a, b] = first.imageNames as [string, string];
    const day = a.split('_')[2];
    expect(files.sort()).toEqual(
      [a, b].flatMap((o) => ['R22_S11', 'R22_S12'].flatMap((d) => [`LSSTComCam/${day}/${o}/${o}_${d}.fits.fz`, `LSSTComCam/${day}/${o}/${o}_${d}.json`])).sort(),
    );
  });

  it('writes files fitsverify accepts', { skip: missing('fitsverify') }, () => {
    for (const p of walk(join(root.dir, 'store')).filter((x) => x.endsWith('.fits.fz'))) {
      const v = fitsverify(p);
      expect(v.ok, `${p}: ${v.output}`).toBe(true);
    }
  });

  it('writes headers that agree with the events (the HeaderService mapping)', async () => {
    const name = first.imageNames[0]!;
    const ev = <N extends string>(n: N) => first.events.find((e) => e.name === n && (e.data as { imageName?: string }).imageName === name) as DaqEvent<never> | undefined;
    const si = ev('startIntegration') as unknown as DaqEvent<'startIntegration'>;
    const eot = ev('endOfImageTelemetry') as unknown as DaqEvent<'endOfImageTelemetry'>;
    const path = walk(join(root.dir, 'store')).find((p) => p.endsWith(`${name}_R22_S11.fits.fz`))!;
    const f = await FitsFile.open(path);
    const h = await f.header(0);
    const iso = (s: number): string => new Date(Math.round(s * 1000)).toISOString().slice(0, 23);
    expect(h.get('OBSID')).toBe(name);
    expect(h.get('INSTRUME')).toBe('ComCam');
    expect(h.get('DAYOBS')).toBe(si.data.imageDate);
    expect(h.get('SEQNUM')).toBe(si.data.imageNumber);
    expect(h.get('CONTRLLR')).toBe(si.data.imageController);
    expect(h.get('GROUPID')).toBe('2025-10-16T03:00:00.000');
    expect(h.get('IMGTYPE')).toBe('FLAT');
    expect(h.get('CURINDEX')).toBe(1);
    expect(h.get('MAXINDEX')).toBe(2);
    expect(h.get('DATE-BEG')).toBe(iso(eot.data.timestampDateObs));
    expect(h.get('DATE-END')).toBe(iso(eot.data.timestampDateEnd));
    expect(h.getNumber('EXPTIME')).toBe(si.data.exposureTime);
    expect(h.getNumber('SHUTTIME')).toBeCloseTo(eot.data.measuredShutterOpenTime, 6);
    expect(h.getNumber('DARKTIME')).toBeCloseTo(eot.data.darkTime, 6);
    expect(h.get('IMAGETAG')).toBe(eot.data.imageTag);
    expect(h.get('FILTER')).toBe('r_03');
    expect(h.get('CCDSLOT')).toBe('S11');
    const sidecar = JSON.parse(readFileSync(path.replace('.fits.fz', '.json'), 'utf8')) as Record<string, unknown>;
    expect(sidecar).toMatchObject({ OBSID: name, GROUPID: '2025-10-16T03:00:00.000', DAYOBS: si.data.imageDate });
    await f.close();
  });

  it('reports the files in fitsFilesWritten and fileTransferPerImageSummary', () => {
    const name = first.imageNames[1]!;
    const w = first.events.find((e) => e.name === 'fitsFilesWritten' && (e.data as { imageName: string }).imageName === name) as unknown as DaqEvent<'fitsFilesWritten'>;
    expect(w.data.relativeFileNames.split(':')).toEqual([`${name}_R22_S11.fits.fz`, `${name}_R22_S12.fits.fz`]);
    expect(w.data.rootFileName).toBe(`LSSTComCam/${name.split('_')[2]}/${name}`);
    const s = first.events.find((e) => e.name === 'fileTransferPerImageSummary' && (e.data as { obsId: string }).obsId === name) as unknown as DaqEvent<'fileTransferPerImageSummary'>;
    expect(s.data).toMatchObject({ expected: 2, written: 2, missingAfterResend: 0 });
  });
});

describe('image endpoints', () => {
  it('list an exposure, stream a CCD file, and return an amp as ImageBytes', async () => {
    const name = first.imageNames[0]!;
    const list = await client.imageFiles(name);
    expect(list).toMatchObject({ obsId: name, instrument: 'LSSTComCam' });
    expect(list.files.map((f) => f.detector)).toEqual(['R22_S11', 'R22_S12']);
    const onDisk = walk(join(root.dir, 'store')).find((p) => p.endsWith(`${name}_R22_S12.fits.fz`))!;
    const bytes = await client.ccdFile(name, 'R22_S12');
    expect(Buffer.from(bytes).equals(readFileSync(onDisk))).toBe(true);
    const res = await fetch(`${server.url}/api/v1/images/${name}/R22_S12`);
    expect(res.headers.get('content-type')).toBe('application/fits');

    const amp = await client.ampImage(name, 'R22_S12', 'C07');
    const f = FitsFile.fromBytes(bytes);
    const img = await f.readImage(await f.findExtension('Segment07'));
    expect([amp.numX, amp.numY]).toEqual(img.shape);
    expect(amp.metadataVersion).toBe(1);
    const same = (x: Int32Array, y: Int32Array): boolean => Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
    expect(same(amp.data, img.data as Int32Array)).toBe(true);
    const raw = new Uint8Array(await (await fetch(`${server.url}/api/v1/images/${name}/R22_S12/Segment07?ClientTransactionID=77`)).arrayBuffer());
    const v = new DataView(raw.buffer);
    expect([v.getInt32(0, true), v.getInt32(8, true), v.getInt32(16, true), v.getInt32(20, true), v.getInt32(28, true)]).toEqual([1, 77, 44, 2, 2]);
    expect(raw.length).toBe(44 + 4 * img.shape[0]! * img.shape[1]!);
  });

  it('answer 404 for what is not there', async () => {
    const name = first.imageNames[0]!;
    expect((await fetch(`${server.url}/api/v1/images/${name}/R22_S00`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/v1/images/CC_S_20000101_000001`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/v1/images/${name}/R22_S11/C99`)).status).toBe(404);
  });
});

describe('playback', () => {
  it('replays stored images through playlist/play, flagged as emulated', async () => {
    const [a, b] = first.imageNames as [string, string];
    const day = a.split('_')[2];
    const folder = `LSSTComCam/${day}`;
    await client.playlist('night1', folder, [a, b]);
    await client.play('night1', false);
    const replay = await client.takeImages({ numImages: 2, expTime: 1, shutter: true, sensors: 'R22_S11', keyValueMap: 'imageType: FLAT' }, { waitForFiles: true });
    const eot = replay.events.filter((e): e is DaqEvent<'endOfImageTelemetry'> => e.name === 'endOfImageTelemetry');
    expect(eot.map((e) => e.data.emulatedImage)).toEqual([a, b]);
    const path = walk(join(root.dir, 'store')).find((p) => p.endsWith(`${replay.imageNames[0]}_R22_S11.fits.fz`))!;
    const f = await FitsFile.open(path);
    const h = await f.header(0);
    expect(h.get('EMUIMAGE')).toBe(a);
    expect(h.get('OBSID')).toBe(replay.imageNames[0]);
    const src = FitsFile.fromBytes(await client.ccdFile(a, 'R22_S11'));
    expect(Array.from((await f.readImage(3)).data as Int32Array).slice(0, 100)).toEqual(Array.from((await src.readImage(3)).data as Int32Array).slice(0, 100));
    await f.close();
    if (!missing('fitsverify')) expect(fitsverify(path).ok).toBe(true);
    // The playlist is used up: a third image is refused.
    const more = await client.command('takeImages', { numImages: 1, expTime: 1, shutter: true });
    expect(more).toMatchObject({ ack: AckCode.FAILED });
    expect(more.result).toContain('playlist night1 has 0 images left');
  });
});
