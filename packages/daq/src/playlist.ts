/**
 * DAQ playback: `playlist` names stored images in a folder, `play` makes the following takeImages read them out
 * instead of synthesizing (as the CCS DAQ emulator replays its 2-day store). The replayed files keep their pixels and
 * header, get the new exposure's identity (OBSID, DAYOBS, SEQNUM, CONTRLLR, GROUPID, CURINDEX, MAXINDEX, as the
 * prompt-processing tester rewrites them) and EMUIMAGE = the source image name, and endOfImageTelemetry carries
 * `emulatedImage`.
 *
 * Source layout under the playlist root: `{folder}/{image}_{Rnn_Snn}.fits[.fz]` or `{folder}/{image}/{image}_{Rnn_Snn}
 * .fits[.fz]` (a store tree's exposure directory works as a folder).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { FitsFile, type HduSpec } from '@daqsim/fits';
import { CommandError } from './errors.js';
import { isoTai, type ExposureRecord, type FrameRenderer, type RenderOptions } from './frames.js';

interface Playlist {
  name: string;
  folder: string;
  images: string[];
}

const NAME_RE = /^[A-Za-z0-9._-]+$/;

export class PlaylistLibrary {
  private readonly lists = new Map<string, Playlist>();
  private active: { list: Playlist; next: number; repeat: boolean } | undefined;
  /** Where each image handed out by next() came from. */
  private readonly sources = new Map<string, string>();

  constructor(readonly root: string | undefined) {}

  private folderPath(folder: string): string {
    if (!this.root) throw new CommandError('BAD_PARAMETER', 'no playlist root configured (playlistRoot); playback is unavailable');
    const base = resolve(this.root);
    const p = resolve(base, folder);
    if (p !== base && !p.startsWith(base + sep)) throw new CommandError('BAD_PARAMETER', `folder ${JSON.stringify(folder)} is outside the playlist root`);
    if (!existsSync(p) || !statSync(p).isDirectory()) throw new CommandError('BAD_PARAMETER', `folder ${JSON.stringify(folder)} does not exist`);
    return p;
  }

  /** Define (or replace) a playlist; every image must exist in the folder. */
  define(name: string, folder: string, images: string[]): Playlist {
    if (!NAME_RE.test(name)) throw new CommandError('BAD_PARAMETER', `bad playlist name ${JSON.stringify(name)}`);
    if (images.length === 0) throw new CommandError('BAD_PARAMETER', 'a playlist needs at least one image');
    const dir = this.folderPath(folder);
    for (const img of images) {
      if (!NAME_RE.test(img)) throw new CommandError('BAD_PARAMETER', `bad image name ${JSON.stringify(img)}`);
      if (findSourceFile(dir, img, undefined) === undefined) {
        throw new CommandError('BAD_PARAMETER', `image ${img} not found in folder ${JSON.stringify(folder)}`);
      }
    }
    const list = { name, folder: dir, images };
    this.lists.set(name, list);
    if (this.active?.list.name === name) this.active = undefined;
    return list;
  }

  play(name: string, repeat: boolean): void {
    const list = this.lists.get(name);
    if (!list) throw new CommandError('BAD_PARAMETER', `no playlist named ${JSON.stringify(name)}`);
    this.active = { list, next: 0, repeat };
  }

  get playing(): { playlist: string; next: number; size: number; repeat: boolean } | undefined {
    const a = this.active;
    return a ? { playlist: a.list.name, next: a.next, size: a.list.images.length, repeat: a.repeat } : undefined;
  }

  /** Images left before the playlist runs out (Infinity when repeating, 0 when not playing). */
  remaining(): number {
    const a = this.active;
    if (!a) return 0;
    return a.repeat ? Infinity : a.list.images.length - a.next;
  }

  /** The next image to read out, or undefined when not playing. */
  next(): string | undefined {
    const a = this.active;
    if (!a) return undefined;
    if (a.next >= a.list.images.length) {
      if (!a.repeat) throw new CommandError('BAD_PARAMETER', `playlist ${a.list.name} is exhausted`);
      a.next = 0;
    }
    const image = a.list.images[a.next++]!;
    this.sources.set(image, a.list.folder);
    return image;
  }

  sourceFolder(image: string): string | undefined {
    return this.sources.get(image);
  }
}

/** The source file of one CCD of an image, or (detector undefined) any CCD file of it. */
function findSourceFile(dir: string, image: string, detector: string | undefined): string | undefined {
  const isFits = (n: string): boolean => n.endsWith('.fits') || n.endsWith('.fits.fz');
  for (const base of [dir, join(dir, image)]) {
    if (!existsSync(base) || !statSync(base).isDirectory()) continue;
    const names = readdirSync(base).filter((n) => !n.startsWith('.') && isFits(n));
    const hit =
      detector === undefined
        ? names.find((n) => n.startsWith(`${image}_`))
        : names.find((n) => n === `${image}_${detector}.fits` || n === `${image}_${detector}.fits.fz`);
    if (hit) return join(base, hit);
  }
  return undefined;
}

/** Reads a playlist image's CCD file and gives it the new exposure's identity. */
export class PlaylistRenderer implements FrameRenderer {
  constructor(private readonly library: PlaylistLibrary) {}

  async renderCcd(e: ExposureRecord, detector: string, opts: RenderOptions): Promise<HduSpec[]> {
    const folder = this.library.sourceFolder(e.emulatedImage);
    const path = folder === undefined ? undefined : findSourceFile(folder, e.emulatedImage, detector);
    if (!path) throw new Error(`playlist image ${e.emulatedImage} has no file for ${detector}`);
    const f = await FitsFile.open(path);
    try {
      const n = await f.hduCount();
      const primary = (await f.header(0)).clone();
      primary
        .set('OBSID', e.obsId)
        .set('DAYOBS', String(e.dayObs))
        .setInt('SEQNUM', e.seqNum)
        .set('CONTRLLR', e.controller)
        .set('GROUPID', e.groupId)
        .setInt('CURINDEX', e.imageIndex)
        .setInt('MAXINDEX', e.imagesInSequence)
        .set('EMUIMAGE', e.emulatedImage)
        .set('DATE', isoTai(e.resolved.fileDate.ms));
      const hdus: HduSpec[] = [{ header: primary }];
      for (let i = 1; i < n; i++) {
        const info = await f.info(i);
        if (info.kind !== 'image' && info.kind !== 'compressed-image') continue;
        const img = await f.readImage(i);
        hdus.push({ header: img.header.clone(), data: img.data, shape: img.shape, compress: opts.compress ? { algorithm: 'RICE_1' } : false });
      }
      return hdus;
    } finally {
      await f.close();
    }
  }
}

/** Sends replayed exposures to the playlist renderer and the rest to the synthesizer. */
export class RoutingRenderer implements FrameRenderer {
  constructor(
    private readonly synthesized: FrameRenderer,
    private readonly replayed: FrameRenderer,
  ) {}

  renderCcd(e: ExposureRecord, detector: string, opts: RenderOptions): Promise<HduSpec[]> {
    return (e.emulatedImage !== '' ? this.replayed : this.synthesized).renderCcd(e, detector, opts);
  }
}
