/**
 * RICE_1 speed and size: our codec against cfitsio's fpack/funpack on one simulated LSSTCam CCD
 * (16 int32 amplifiers of 576 x 2048: bias 15000, a ~700 ADU sky on the imaging section, Gaussian read noise
 * sigma 7, all from a seeded generator so every run compresses the same pixels).
 *
 *   node --conditions=daqsim-source --import tsx bench/rice.ts [--runs N]
 *
 * Speeds are MB/s of raw pixels (4 bytes each) on one core: median of N timed runs after warm-up, with the
 * min and max. fpack and funpack are timed as whole processes (read, compress, checksum, write), which is
 * what a user of either would wait for; our figures are in-memory, so the comparison favours fpack slightly
 * less than it favours us on I/O. Results also go to bench/results/rice.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { emit, row } from './lib.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Header, compressImageHdu, decompressImageHdu, encodeFits, parseHeader, riceDecode, riceEncode, riceMaxBytes } from '@daqsim/fits';

const NX = 576;
const NY = 2048;
const AMPS = 16;
const AMP_PIXELS = NX * NY;
const RAW_BYTES = AMPS * AMP_PIXELS * 4;
const args = process.argv.slice(2);
const RUNS = args.includes('--quick') ? 3 : Math.max(5, Number(args[args.indexOf('--runs') + 1]) || 7);
const WARMUP = 2;

// ---------------------------------------------------------------------------------------------------------
// Deterministic pixels: xoshiro128** for uniforms, Box-Muller (both outputs) for normals.

function makeRng(seed: number): () => number {
  // splitmix32 to spread the seed over the 128-bit state.
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = next();
  let b = next();
  let c = next();
  let d = next();
  return () => {
    const b5 = Math.imul(b, 5);
    const r = Math.imul((b5 << 7) | (b5 >>> 25), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    return r / 4294967296;
  };
}

function makeAmp(amp: number): Int32Array {
  const rnd = makeRng(0x5eed0000 + amp);
  const px = new Int32Array(AMP_PIXELS);
  const bias = 15000 + 37 * amp;
  let spare = 0;
  let haveSpare = false;
  for (let y = 0; y < NY; y++) {
    for (let x = 0; x < NX; x++) {
      let g: number;
      if (haveSpare) {
        g = spare;
        haveSpare = false;
      } else {
        const u = rnd() || 1e-12;
        const r = Math.sqrt(-2 * Math.log(u));
        const th = 2 * Math.PI * rnd();
        g = r * Math.cos(th);
        spare = r * Math.sin(th);
        haveSpare = true;
      }
      // Imaging section (3 prescan columns, 509 data columns, 2000 data rows) sees a sky with a gentle
      // gradient; prescan and overscan see bias only.
      const sky = x >= 3 && x < 512 && y < 2000 ? 700 + 0.02 * (x + y) : 0;
      px[y * NX + x] = Math.round(bias + sky + 7 * g);
    }
  }
  return px;
}

// ---------------------------------------------------------------------------------------------------------
// Timing helpers.

interface Stat {
  median: number;
  min: number;
  max: number;
}

function stats(xs: number[]): Stat {
  const s = xs.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2, min: s[0]!, max: s[s.length - 1]! };
}

/** MB/s of raw pixels for each timed run (ms), summarized. */
function speed(msRuns: number[]): Stat {
  const st = stats(msRuns.map((ms) => RAW_BYTES / 1e6 / (ms / 1000)));
  return st;
}

function time(runs: number, warmup: number, f: () => void): number[] {
  for (let i = 0; i < warmup; i++) f();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    out.push(performance.now() - t0);
  }
  return out;
}

const fmt = (s: Stat): string => `${s.median.toFixed(0).padStart(5)} MB/s  (min ${s.min.toFixed(0)}, max ${s.max.toFixed(0)})`;

// ---------------------------------------------------------------------------------------------------------

function ampHeader(amp: number): Header {
  const h = new Header();
  h.set('EXTNAME', `Segment${String(amp).padStart(2, '0')}`);
  h.set('DATASEC', '[4:512,1:2000]');
  return h;
}

/** An empty primary HDU and 16 int32 IMAGE extensions, written by the package's own encoder (no checksums). */
function uncompressedFile(amps: Int32Array[]): Uint8Array {
  return encodeFits([{}, ...amps.map((px, a) => ({ header: ampHeader(a), data: px, shape: [NX, NY] }))], { checksum: false });
}

/** Table + heap bytes of every extension of a FITS file (sizes from the headers). */
function extensionData(file: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let pos = 0;
  let first = true;
  while (pos < file.length) {
    const { header, byteLength } = parseHeader(file.subarray(pos));
    pos += byteLength;
    let len = 0;
    if (header.get('XTENSION') === 'BINTABLE') len = header.getInt('NAXIS1')! * header.getInt('NAXIS2')! + (header.getInt('PCOUNT') ?? 0);
    else if ((header.getInt('NAXIS') ?? 0) > 0) {
      len = Math.abs(header.getInt('BITPIX')!) / 8;
      for (let k = 1; k <= header.getInt('NAXIS')!; k++) len *= header.getInt(`NAXIS${k}`)!;
    }
    if (!first) out.push(file.subarray(pos, pos + len));
    first = false;
    pos += Math.ceil(len / 2880) * 2880;
  }
  return out;
}

function hasTool(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

// ---------------------------------------------------------------------------------------------------------

function main(): void {
  console.log(`RICE_1 bench: one CCD = ${AMPS} int32 amps of ${NX} x ${NY} (${(RAW_BYTES / 1e6).toFixed(1)} MB raw), ${RUNS} runs after ${WARMUP} warm-up`);
  console.log(`node ${process.version}, ${process.arch}`);
  const t0 = performance.now();
  const amps = Array.from({ length: AMPS }, (_, a) => makeAmp(a));
  console.log(`generated pixels in ${((performance.now() - t0) / 1000).toFixed(2)} s\n`);

  // Codec alone: row tiles straight from the amp arrays into one scratch buffer, as the HDU layer does.
  const scratch = new Uint8Array(riceMaxBytes(NX, 4) * NY);
  const lengths = new Int32Array(AMPS * NY);
  const offsets = new Int32Array(AMPS * NY);
  const tileBuf = amps.map(() => new Uint8Array(0));
  const encodeCodec = (): void => {
    for (let a = 0; a < AMPS; a++) {
      const px = amps[a]!;
      let o = 0;
      for (let r = 0; r < NY; r++) {
        const n = riceEncode(px.subarray(r * NX, r * NX + NX), 4, 32, scratch.subarray(o), 0);
        offsets[a * NY + r] = o;
        lengths[a * NY + r] = n;
        o += n;
      }
      if (tileBuf[a]!.length !== o) tileBuf[a] = scratch.slice(0, o);
    }
  };
  const codecEnc = time(RUNS, WARMUP, encodeCodec);
  const back = new Int32Array(AMP_PIXELS);
  const decodeCodec = (): void => {
    for (let a = 0; a < AMPS; a++) {
      const bytes = tileBuf[a]!;
      for (let r = 0; r < NY; r++) {
        const o = offsets[a * NY + r]!;
        riceDecode(bytes.subarray(o, o + lengths[a * NY + r]!), 4, 32, back.subarray(r * NX, r * NX + NX), NX);
      }
    }
  };
  const codecDec = time(RUNS, WARMUP, decodeCodec);

  // Whole HDUs: header, tiling, descriptor table and heap.
  let hdus: { header: Header; data: Uint8Array }[] = [];
  const hduEnc = time(RUNS, WARMUP, () => {
    hdus = amps.map((px, a) => compressImageHdu(ampHeader(a), px, [NX, NY]));
  });
  let decoded: Int32Array[] = [];
  const hduDec = time(RUNS, WARMUP, () => {
    decoded = hdus.map((h) => decompressImageHdu(h.header, h.data).data as Int32Array);
  });
  // What a fresh 75 MB of output costs by itself (allocation and first touch), which the HDU decompress
  // figure includes and the codec figure does not; on virtual machines this varies a lot from run to run.
  // Kept alive like `decoded` above, so that the allocator sees the same pressure.
  let _retained: Int32Array[] = [];
  const allocMs = time(RUNS, WARMUP, () => {
    _retained = amps.map(() => new Int32Array(AMP_PIXELS).fill(0));
  });
  _retained = [];
  const lossless = decoded.every((d, a) => Buffer.compare(Buffer.from(d.buffer), Buffer.from(amps[a]!.buffer)) === 0);
  const ourData = hdus.reduce((s, h) => s + h.data.length, 0);
  const ourFile = encodeFits([{}, ...hdus.map((h) => ({ prepared: { header: h.header, data: h.data } }))], { checksum: false });

  console.log('ours (one core, in memory)');
  console.log(`  codec encode     ${fmt(speed(codecEnc))}`);
  console.log(`  codec decode     ${fmt(speed(codecDec))}`);
  console.log(`  HDU compress     ${fmt(speed(hduEnc))}`);
  console.log(`  HDU decompress   ${fmt(speed(hduDec))}`);
  const alloc = stats(allocMs);
  console.log(`  (allocating + touching 75.5 MB of fresh output alone: median ${alloc.median.toFixed(1)} ms, min ${alloc.min.toFixed(1)}, max ${alloc.max.toFixed(1)})`);
  console.log(`  lossless round trip: ${lossless ? 'yes' : 'NO'}`);
  console.log(`  compressed: ${ourData} bytes of table + heap, ${ourFile.length} bytes as a file (ratio ${(RAW_BYTES / ourData).toFixed(2)})\n`);

  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    runs: RUNS,
    rawBytes: RAW_BYTES,
    ours: {
      codecEncode: speed(codecEnc),
      codecDecode: speed(codecDec),
      hduCompress: speed(hduEnc),
      hduDecompress: speed(hduDec),
      outputAllocMs: stats(allocMs),
      dataBytes: ourData,
      fileBytes: ourFile.length,
      lossless,
    },
  };

  const have = { fpack: hasTool('fpack'), funpack: hasTool('funpack') };
  if (!have.fpack || !have.funpack) {
    const missing = Object.entries(have).filter(([, v]) => !v).map(([k]) => k);
    console.log(`cfitsio comparison: MISSING ${missing.join(' and ')} (install libcfitsio-bin); no fpack figures`);
    result.fpack = 'missing';
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'daqsim-bench-'));
    try {
      const raw = join(dir, 'ccd.fits');
      writeFileSync(raw, uncompressedFile(amps));
      const fz = join(dir, 'ccd.fits.fz');
      const unpacked = join(dir, 'ccd.unpacked.fits');
      const proc = (cmd: string, argv: string[], before: () => void): number[] => {
        const ms: number[] = [];
        for (let i = 0; i < RUNS + 1; i++) {
          before();
          const s = performance.now();
          const r = spawnSync(cmd, argv, { encoding: 'utf8' });
          const e = performance.now() - s;
          if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
          if (i > 0) ms.push(e); // the first run warms the page cache
        }
        return ms;
      };
      const fpackMs = proc('fpack', ['-O', fz, raw], () => rmSync(fz, { force: true }));
      const funpackMs = proc('funpack', ['-O', unpacked, fz], () => rmSync(unpacked, { force: true }));
      const fpSize = statSync(fz).size;
      const fpData = extensionData(new Uint8Array(readFileSync(fz)));
      const fpDataBytes = fpData.reduce((s, d) => s + d.length, 0);
      const identical = fpData.length === AMPS && fpData.every((d, a) => Buffer.compare(Buffer.from(d), Buffer.from(hdus[a]!.data)) === 0);
      const fp = speed(fpackMs);
      const fu = speed(funpackMs);
      const enc = speed(hduEnc);
      const dec = speed(hduDec);
      console.log('cfitsio (whole process: read file, compress, checksum, write file)');
      console.log(`  fpack            ${fmt(fp)}`);
      console.log(`  funpack          ${fmt(fu)}`);
      console.log(`  compressed: ${fpDataBytes} bytes of table + heap, ${fpSize} bytes as a file\n`);
      const pct = (a: number, b: number): string => `${a - b >= 0 ? '+' : ''}${(((a - b) / b) * 100).toFixed(3)}%`;
      console.log('ours vs cfitsio');
      console.log(`  compress speed   ${(enc.median / fp.median).toFixed(2)}x fpack (codec alone ${(speed(codecEnc).median / fp.median).toFixed(2)}x)`);
      console.log(`  decompress speed ${(dec.median / fu.median).toFixed(2)}x funpack (codec alone ${(speed(codecDec).median / fu.median).toFixed(2)}x)`);
      console.log(`  size             table+heap ${ourData} vs ${fpDataBytes} (${pct(ourData, fpDataBytes)}); file ${ourFile.length} vs ${fpSize} (${pct(ourFile.length, fpSize)}; fpack adds CHECKSUM/DATASUM cards)`);
      console.log(`  tiles byte-identical to fpack: ${identical ? 'yes' : 'NO'}`);
      result.fpack = { fpack: fp, funpack: fu, dataBytes: fpDataBytes, fileBytes: fpSize, identical };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'rice.json'), `${JSON.stringify(result, null, 2)}\n`);

  // Rows for bench/run.ts: every figure next to its cfitsio reference from this same run.
  const fpr = typeof result.fpack === 'object' ? (result.fpack as { fpack: Stat; funpack: Stat; dataBytes: number; identical: boolean }) : null;
  const bytes = (n: number): Stat => ({ min: n, median: n, max: n });
  emit('rice', [
    row({ case: 'rice', figure: 'Rice encode, one CCD (codec)', value: speed(codecEnc), unit: 'MB/s', reference: 'fpack (whole process)', referenceValue: fpr?.fpack ?? null }),
    row({ case: 'rice', figure: 'Rice compress, one CCD (HDUs)', value: speed(hduEnc), unit: 'MB/s', reference: 'fpack (whole process)', referenceValue: fpr?.fpack ?? null }),
    row({ case: 'rice', figure: 'Rice decode, one CCD (codec)', value: speed(codecDec), unit: 'MB/s', reference: 'funpack (whole process)', referenceValue: fpr?.funpack ?? null }),
    row({
      case: 'rice',
      figure: 'compressed size (table + heap)',
      value: bytes(ourData),
      unit: 'bytes',
      reference: 'fpack',
      referenceValue: fpr ? bytes(fpr.dataBytes) : null,
      note: fpr ? (fpr.identical ? 'tiles byte-identical to fpack' : 'tiles differ from fpack') : 'fpack missing',
    }),
  ]);
}

main();
