/**
 * The real Ceph RADOS Gateway for the S3 tests, through scripts/ceph-local.sh (which installs the Debian packages
 * when it may). Locally a machine that has neither the packages nor root skips the tests; under CI they must run.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const CEPH_SCRIPT = fileURLToPath(new URL('../../../scripts/ceph-local.sh', import.meta.url));

export interface CephCluster {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  dir: string;
  conf: string;
  pids: { mon: number | null; osd: number | null; rgw: number | null };
}

/** Why the S3 tests cannot run here, or undefined if they can (CI always can: it must). */
export function cephUnavailable(): string | undefined {
  if (process.env.CI) return undefined;
  if (['/usr/bin/ceph-mon', '/usr/bin/ceph-osd', '/usr/bin/radosgw'].every((p) => existsSync(p))) return undefined;
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) return undefined;
  return 'Ceph is not installed and this user cannot apt-get it (run scripts/ceph-local.sh start DIR as root once)';
}

export async function startCeph(dir: string): Promise<CephCluster> {
  const t0 = performance.now();
  const { stdout, stderr } = await run('bash', [CEPH_SCRIPT, 'start', dir, '--json'], { maxBuffer: 1 << 20, timeout: 300_000 }).catch((e: unknown) => {
    const err = e as { stderr?: string; message: string };
    throw new Error(`ceph-local.sh start failed: ${err.stderr ?? err.message}`);
  });
  const line = stdout.trim().split('\n').pop() ?? '';
  const c = JSON.parse(line) as CephCluster;
  if (process.env.DAQSIM_TEST_VERBOSE) console.log(`ceph: ${stderr.trim()} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return c;
}

export async function stopCeph(dir: string, only?: 'rgw'): Promise<void> {
  await run('bash', [CEPH_SCRIPT, 'stop', dir, ...(only ? [only] : [])], { timeout: 60_000 });
}

export function rgwPid(dir: string): number {
  return Number(readFileSync(`${dir}/pid.rgw`, 'utf8').trim());
}
