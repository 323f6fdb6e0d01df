/** `daqsim serve`: option precedence, --help, and a real run stopped by SIGTERM. */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/tools.js';
import { resolveServeConfig } from '../src/commands/serve.js';
import { buildProgram } from '../src/main.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const NODE_ARGS = ['--conditions=daqsim-source', '--import', 'tsx', MAIN];

describe('daqsim serve', () => {
  it('takes defaults, then the config file, then the command line, then DAQSIM_TOKEN', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'c.json');
      writeFileSync(file, JSON.stringify({ camera: 'comcam', port: 9000, timeScale: 5, token: null }));
      const c = await resolveServeConfig({ config: file, port: 9100 }, { DAQSIM_TOKEN: 'from-env' });
      expect(c).toMatchObject({ camera: 'comcam', port: 9100, timeScale: 5, host: '127.0.0.1', store: './daqsim-store', token: 'from-env' });
      expect((await resolveServeConfig({ token: 'cli' }, { DAQSIM_TOKEN: 'env' })).token).toBe('cli');
      expect((await resolveServeConfig({}, {})).camera).toBe('latiss');
      await expect(resolveServeConfig({ camera: 'hsc' }, {})).rejects.toMatchObject({ field: 'camera' });
    } finally {
      cleanup();
    }
  });

  it('documents every option in --help', () => {
    const serve = buildProgram().commands.find((c) => c.name() === 'serve')!;
    const help = serve.helpInformation();
    for (const o of ['--camera', '--host', '--port', '--store', '--time-scale', '--config', '--token']) expect(help).toContain(o);
    const r = spawnSync(process.execPath, [...NODE_ARGS, 'serve', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: daqsim serve [options]');
    const bad = spawnSync(process.execPath, [...NODE_ARGS, 'serve', '--time-scale', '-1'], { cwd: ROOT, encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('--time-scale');
  });

  it('serves until SIGTERM', async () => {
    const { dir, cleanup } = tempDir();
    const child = spawn(process.execPath, [...NODE_ARGS, 'serve', '--camera', 'latiss', '--port', '0', '--store', dir, '--time-scale', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const deadline = Date.now() + 30_000;
      while (!/listening on (http:\S+)/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const url = /listening on (http:\S+)/.exec(out)![1]!;
      expect(out).toContain('ATCamera (LATISS)');
      const state = (await (await fetch(`${url}/api/v1/ATCamera/state`)).json()) as { summaryState: string };
      expect(state.summaryState).toBe('OFFLINE');
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      cleanup();
    }
  });
});
