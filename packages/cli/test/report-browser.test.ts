/**
 * The nightly report end to end: a small rendered night with an injected fault, an event log and a transfer,
 * QA checked against the truth sidecars, and the page opened in headless Chromium (Debian's chromium driven by
 * playwright-core): no console errors, no network, the plots and thumbnails render, one QA row per CCD.
 * Without /usr/bin/chromium the browser part is skipped locally and fails in CI.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReportCli } from '../src/report/cli.js';
import { taiIsoToMs } from '../src/report/events.js';
import { type NightReport, buildNightReport, writeReport } from '../src/report/report.js';
import { transferNight } from '../src/transfer/transfer.js';
import { makeNight, writeManifest } from './helpers/night.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env['CI']) throw new Error(`${CHROMIUM} is missing: the report test needs Debian's chromium in CI (apt-get install -y chromium)`);
if (!haveChromium) console.warn(`skipping the browser checks: ${CHROMIUM} not found (apt-get install -y chromium)`);

let tmp: string;
let night: string;
let reportPath: string;
let report: NightReport;
let manifest: Awaited<ReturnType<typeof makeNight>>;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'daqsim-report-'));
  night = join(tmp, 'night');
  manifest = await makeNight(night);
  const files = manifest.files as Array<{ path: string; obsId: string; imageType: string; dateBeg: string; dateEnd: string; fileDate: string }>;
  // Fault: one byte of the FLAT flipped on disk after the manifest recorded its checksum.
  const flat = files.find((f) => f.imageType === 'FLAT')!;
  const bytes = await readFile(join(night, flat.path));
  bytes[bytes.length - 20_000] = bytes[bytes.length - 20_000]! ^ 0x40;
  await writeFile(join(night, flat.path), bytes);
  manifest.faults.push({ kind: 'bitflip', path: flat.path, detail: 'one byte flipped after writing' });
  await writeManifest(night, manifest);
  // The emulator's event log for these exposures, one fault with no file effect among them.
  const tai = (iso: string, ds = 0): number => taiIsoToMs(iso) / 1000 + ds;
  const lines: unknown[] = [];
  let seq = 0;
  for (const f of files) {
    const ev = (name: string, t: number, fields: Record<string, unknown>): void => void lines.push({ name, seq: ++seq, tai: t, fields });
    ev('ackcmd', tai(f.dateBeg, -1.2), { command: 'takeImages', ack: 301 });
    ev('startIntegration', tai(f.dateBeg), { imageName: f.obsId });
    ev('startReadout', tai(f.dateEnd), { imageName: f.obsId });
    ev('endReadout', tai(f.dateEnd, 2), { imageName: f.obsId });
    ev('fitsFilesWritten', tai(f.fileDate), { imageName: f.obsId });
    ev('largeFileObjectAvailable', tai(f.fileDate, 0.4), { obsId: f.obsId });
  }
  const object = files.find((f) => f.imageType === 'OBJECT')!;
  lines.push({ name: 'faultInjected', seq: ++seq, tai: tai(object.fileDate, 0.1), fields: { kind: 'notificationDuplicated', imageName: object.obsId, detector: 'R22_S11', detail: 'sent twice' } });
  await writeFile(join(tmp, 'events.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
  // The night moved over the link (the flipped file fails verification at the far end).
  const dst = join(tmp, 'usdf');
  const moved = await transferNight({ src: night, dst, rate: 1e9, rateLabel: '8Gbit', latencyMs: 5 });
  expect(moved.exitCode).toBe(1);
  report = await buildNightReport({ dir: night, events: join(tmp, 'events.jsonl'), transfer: join(dst, 'transfer-summary.json'), jobs: 2, generatedAt: '2025-10-16T12:00:00Z' });
  reportPath = join(tmp, 'report.html');
  await writeReport(reportPath, report.html);
}, 120_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('daqsim report', () => {
  it('measures every CCD and agrees with the truth', () => {
    const s = report.summary;
    expect(s.files).toBe(3);
    expect(s.exposures).toBe(3);
    const byType = new Map(s.qa.map((q) => [q.imageType, q]));
    for (const q of s.qa.filter((x) => x.status === 'ok')) {
      expect(q.truth!.biasDeltaMaxAbs).toBeLessThan(0.5);
      expect(Math.abs(q.truth!.noiseRatioMean - 1)).toBeLessThan(0.03);
    }
    const obj = byType.get('OBJECT')!;
    expect(obj.flags).toEqual([]);
    expect(Math.abs(obj.level! / obj.truth!.expectedLevel - 1)).toBeLessThan(0.02);
    expect(obj.sources! / obj.truth!.sourcesPredicted).toBeGreaterThan(0.7);
    expect(obj.sources! / obj.truth!.sourcesPredicted).toBeLessThan(1.3);
    expect(Math.abs(obj.cosmicRays! - obj.truth!.cosmicRays)).toBeLessThanOrEqual(2);
    expect(obj.badColumns).toBe(obj.truth!.badColumns);
    expect(byType.get('BIAS')!.sources).toBe(0);
    expect(byType.get('BIAS')!.flags).toEqual([]);
  });

  it('scores the injected faults against the QA flags', () => {
    const s = report.summary;
    const flat = s.qa.find((q) => q.imageType === 'FLAT')!;
    expect(flat.flags.map((f) => f.code)).toEqual(expect.arrayContaining(['sha256-mismatch', 'transfer-failed']));
    expect(s.verdicts.map((v) => [v.fault.kind, v.verdict])).toEqual([
      ['bitflip', 'caught'],
      ['notificationDuplicated', 'no file effect'],
    ]);
    expect(s.unexplained).toEqual([]);
    expect(s.faults).toMatchObject({ total: 2, caught: 1, missed: 0 });
    expect(s.thumbnails).toBeGreaterThanOrEqual(2);
    // One page, small enough to mail.
    expect(s.htmlBytes).toBeLessThan(2_000_000);
    expect(report.html).not.toMatch(/<(script|link|img)[^>]+(src|href)="(?!data:)/);
  });

  it.skipIf(!haveChromium)(
    'renders in headless Chromium without errors or network access',
    async () => {
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const problems: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error') problems.push(`console: ${m.text()}`);
        });
        page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        page.on('request', (r) => {
          if (!/^(file|data):/.test(r.url())) problems.push(`network: ${r.url()}`);
        });
        page.on('requestfailed', (r) => problems.push(`failed: ${r.url()}`));
        await page.goto(`file://${reportPath}`, { waitUntil: 'load' });
        const state = await page.evaluate(() => ({
          svgs: [...document.querySelectorAll('svg.chart')].map((s) => {
            const r = s.getBoundingClientRect();
            return { w: r.width, h: r.height, marks: s.querySelectorAll('rect,circle,line').length };
          }),
          images: [...document.images].map((i) => ({ complete: i.complete, w: i.naturalWidth, h: i.naturalHeight })),
          qaRows: document.querySelectorAll('#qa tbody tr').length,
          caught: document.querySelectorAll('.v-caught').length,
          sections: [...document.querySelectorAll('h2')].map((h) => h.textContent),
        }));
        expect(problems).toEqual([]);
        expect(state.svgs.length).toBeGreaterThanOrEqual(8);
        for (const s of state.svgs) {
          expect(s.w).toBeGreaterThan(100);
          expect(s.h).toBeGreaterThan(30);
          expect(s.marks).toBeGreaterThan(2);
        }
        expect(state.images.length).toBeGreaterThanOrEqual(2);
        for (const i of state.images) expect(i.complete && i.w > 0 && i.h > 0).toBe(true);
        expect(state.qaRows).toBe(manifest.files.length);
        expect(state.caught).toBe(1);
        expect(state.sections).toEqual(expect.arrayContaining(['Timeline', 'Latency distributions', 'Per-CCD QA', 'QA versus truth', 'Thumbnails', 'Injected faults versus QA']));
        // The inline script sorts: by sources, descending after two clicks, the OBJECT comes first.
        const th = page.locator('#qa thead th', { hasText: /^sources$/ });
        await th.click();
        await th.click();
        expect(await page.locator('#qa tbody tr').first().locator('td').nth(2).textContent()).toBe('OBJECT');
        expect(problems).toEqual([]);
        const shots = join(tmpdir(), 'daqsim-report-screenshot');
        await mkdir(shots, { recursive: true });
        await page.screenshot({ path: join(shots, 'report.png'), fullPage: true });
        console.log(`report screenshot: ${join(shots, 'report.png')}`);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );

  it('exits 2 on a directory that is not a night, or a bad option', async () => {
    let err = '';
    const io = { stdout: { write: () => true } as unknown as NodeJS.WritableStream, stderr: { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WritableStream };
    expect(await runReportCli(tmp + '/nope', { out: join(tmp, 'x.html') }, io)).toBe(2);
    expect(err).toMatch(/no manifest\.json/);
    expect(await runReportCli(night, { out: join(tmp, 'x.html'), jobs: 'many' }, io)).toBe(2);
    expect(await runReportCli(night, { out: join(tmp, 'x.html'), events: join(tmp, 'missing.jsonl') }, io)).toBe(2);
  });
});
