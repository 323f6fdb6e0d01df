/**
 * The WebAssembly SIMD kernels against their float32-exact JavaScript reference: identical bits on whole amps of
 * every kind of frame, and on small odd shapes that exercise every vector tail.
 */
import { describe, expect, it } from 'vitest';
import { Tai } from '../src/index.js';
import { AmpWorkspace, WORKSPACE_BYTES, defaultKernelKind, prepareCcd, prepareExposure, renderAmp, sharedMemory } from '../src/synth/index.js';
import type { ImageType } from '../src/index.js';

function plan(camera: 'comcam' | 'lsstcam', imageType: ImageType, filter: string, expTime: number) {
  return prepareExposure(
    camera,
    { imageType, start: Tai.fromIso('2025-10-16T03:00:00'), expTime, seqNum: 7, filter, pointing: { ra: 53.1, dec: -28.1, rotPA: 12 } },
    { seed: 99 },
  ).plan;
}

describe('synthesis kernels', () => {
  it('loads the WebAssembly kernels (the build made wasm/synth.wasm)', () => {
    expect(defaultKernelKind()).toBe(process.env['DAQSIM_KERNELS'] === 'js' ? 'js' : 'wasm');
    expect(new AmpWorkspace('wasm').kind).toBe('wasm');
  });

  const wasm = new AmpWorkspace('wasm');
  const js = new AmpWorkspace('js');
  const cases: Array<[string, ReturnType<typeof plan>, string, number[]]> = [
    ['ComCam ITL OBJECT r', plan('comcam', 'OBJECT', 'r_03', 30), 'R22_S11', [0, 9]],
    ['LSSTCam E2V OBJECT z (fringes)', plan('lsstcam', 'OBJECT', 'z_20', 30), 'R11_S11', [3, 12]],
    ['ComCam BIAS', plan('comcam', 'BIAS', 'r_03', 0), 'R22_S00', [5]],
    ['ComCam FLAT', plan('comcam', 'FLAT', 'i_06', 5), 'R22_S22', [14]],
  ];
  for (const [name, p, det, amps] of cases) {
    it(`gives the reference's bits: ${name}`, () => {
      const { ccd, scene } = prepareCcd(p, det);
      for (const a of amps) {
        const n = ccd.amps[a]!.rawWidth * ccd.amps[a]!.rawHeight;
        const x = new Int32Array(n);
        const y = new Int32Array(n);
        renderAmp(p, ccd, scene, a, x, wasm);
        renderAmp(p, ccd, scene, a, y, js);
        let diff = 0;
        for (let i = 0; i < n; i++) if (x[i] !== y[i]) diff++;
        expect(diff, `${det} amp ${a}`).toBe(0);
        // Not a trivial frame: the pixels vary.
        expect(Math.max(...x.subarray(0, 4096)) - Math.min(...x.subarray(0, 4096))).toBeGreaterThan(5);
      }
    });
  }

  it('gives the same pixels whatever the band of rows an amp is rendered in', () => {
    // ComCam ITL (flipped amps in the top row), LSSTCam E2V with fringes: stamps, trails, crosstalk and cosmic rays
    // cross band edges, and a 7-row band puts an edge every few rows.
    for (const [p, det, amps] of [[cases[0]![1], 'R22_S11', [0, 9]], [cases[1]![1], 'R11_S11', [3, 12]]] as const) {
      const { ccd, scene } = prepareCcd(p, det);
      for (const a of amps) {
        const n = ccd.amps[a]!.rawWidth * ccd.amps[a]!.rawHeight;
        const whole = new Int32Array(n);
        renderAmp(p, ccd, scene, a, whole, wasm, 1 << 20);
        for (const band of [64, 7]) {
          const banded = new Int32Array(n);
          renderAmp(p, ccd, scene, a, banded, band === 7 ? js : wasm, band);
          let diff = 0;
          for (let i = 0; i < n; i++) if (banded[i] !== whole[i]) diff++;
          expect(diff, `${det} amp ${a}, ${band}-row bands`).toBe(0);
        }
      }
    }
  });

  it('renders in place into a shared memory exactly as through a copy', () => {
    // The pool's path: kernels instantiated on a shared memory write the amp straight into a view of it.
    const p = cases[0]![1];
    const { ccd, scene } = prepareCcd(p, 'R22_S11');
    const n = ccd.amps[9]!.rawWidth * ccd.amps[9]!.rawHeight;
    const memory = sharedMemory(2 * WORKSPACE_BYTES + n * 4);
    for (const kind of ['wasm', 'js'] as const) {
      const ws = new AmpWorkspace(kind, { memory, base: WORKSPACE_BYTES });
      const inPlace = new Int32Array(ws.buffer, 2 * WORKSPACE_BYTES, n);
      inPlace.fill(-1);
      renderAmp(p, ccd, scene, 9, inPlace, ws);
      const copied = new Int32Array(n);
      renderAmp(p, ccd, scene, 9, copied, wasm);
      expect(Buffer.from(inPlace.buffer, inPlace.byteOffset, inPlace.byteLength).equals(Buffer.from(copied.buffer)), kind).toBe(true);
      // An output over the workspace itself is refused, not rendered over the kernels' own buffers.
      expect(() => renderAmp(p, ccd, scene, 9, new Int32Array(ws.buffer, WORKSPACE_BYTES, n), ws)).toThrow(/overlaps the workspace/);
    }
  });

  it('agrees on odd shapes, where every vector loop has a tail', () => {
    const shapes = [[37, 5, 52, 7, 3], [16, 3, 24, 3, 2], [1, 2, 10, 3, 4], [61, 4, 70, 6, 0], [29, 9, 40, 10, 1]] as const;
    for (const [index, [w, h, rw, rh, x0]] of shapes.entries()) {
      const out: Int32Array[] = [];
      for (const ws of [wasm, js]) {
        const L = ws.layout(w, h, rw, rh, 1);
        const F = ws.floats;
        for (let r = 0; r < h; r++) F.fill(0, (L.mean >> 2) + r * L.stride - 4, (L.mean >> 2) + r * L.stride);
        ws.kernels.smoothAmp(L.mean, L.stride, w, h, 0, h, 950.5, 1, 0.97, 1.02, 0.99, 0.006 / 104.5, 1 - (255 * 0.006) / 104.5, 3.25, 0x12345678, -0x2468ace);
        for (let i = 0; i < w; i++) {
          F[(L.cosCol[0]! >> 2) + i] = Math.cos(i * 0.3);
          F[(L.sinCol[0]! >> 2) + i] = Math.sin(i * 0.3);
        }
        for (let r = 0; r < h; r++) {
          F[(L.rcRow[0]! >> 2) + r] = Math.cos(r * 0.7 + 1);
          F[(L.rsRow[0]! >> 2) + r] = Math.sin(r * 0.7 + 1);
        }
        ws.kernels.fringeAmp(L.mean, L.stride, w, h, L.cosCol[0]!, L.sinCol[0]!, L.rcRow[0]!, L.rsRow[0]!, 3.5);
        // A star across the block's edge, in each flip orientation: chords start and end mid-vector.
        ws.kernels.stampAdd(L.mean, L.stride, w, h, 0, h, 100, 200, index & 1, (index >> 1) & 1, 100 + w * 0.7 + 0.3, 200 + h / 2 - 0.2, 6.5, 1 / 4.1, 5000);
        // A saturated pixel and a negative one: the clamps are exercised too.
        F[(L.mean >> 2) + Math.min(2, w - 1)] = 2e5;
        if (w > 5) F[(L.mean >> 2) + 5] = -50;
        for (let r = 0; r < rh; r++) F[(L.rowOffset >> 2) + r] = 0.5 * Math.sin(r);
        ws.kernels.readoutAmp(L.out, L.mean, L.stride, L.z, L.rowOffset, ws.tablePtr, rw, w, h, 0, rh, x0, 77, 0x7fffffff,
          1000.25, 1.3e-3, 1, 36, 1.5e5, 2e-7, 1 / 1.7, 4.2, 60000);
        out.push(ws.ints.slice(L.out >> 2, (L.out >> 2) + rw * rh));
      }
      expect(Array.from(out[0]!), `shape ${w}x${h} in ${rw}x${rh}`).toEqual(Array.from(out[1]!));
      const sums = [wasm, js].map((ws) => ws.kernels.stampSum(10.3 + index * 0.21, -4.7, 2.5 + w / 3, 1 / 3.3));
      expect(sums[0]).toBe(sums[1]);
      expect(sums[0]).toBeGreaterThan(1);
      expect(out[0]!.some((v) => v === 60000)).toBe(true);
    }
  });
});
