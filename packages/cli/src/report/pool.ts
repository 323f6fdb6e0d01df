/**
 * Runs CCD QA jobs on worker threads (one CCD each at a time, about 200 MB per worker for a 16 Mpixel CCD), or in
 * this thread when one job at a time is asked for. Results come back in job order.
 */
import { Worker } from 'node:worker_threads';
import { type CcdJob, type CcdResult, analyzeCcd } from './analyze.js';
import type { WorkerReply } from './worker.js';

function workerUrl(): { url: URL; fromSource: boolean } {
  const fromSource = import.meta.url.endsWith('.ts');
  return fromSource ? { url: new URL('./worker-bootstrap.mjs', import.meta.url), fromSource } : { url: new URL('./worker.js', import.meta.url), fromSource };
}

export async function runCcdJobs(jobs: readonly CcdJob[], concurrency: number, onDone?: (r: CcdResult, done: number) => void): Promise<CcdResult[]> {
  const results: CcdResult[] = new Array(jobs.length);
  let finished = 0;
  const record = (i: number, r: CcdResult): void => {
    results[i] = r;
    onDone?.(r, ++finished);
  };
  const n = Math.max(1, Math.min(concurrency, jobs.length));
  if (n === 1) {
    for (let i = 0; i < jobs.length; i++) record(i, await analyzeCcd(jobs[i]!));
    return results;
  }
  const { url, fromSource } = workerUrl();
  const workers = Array.from({ length: n }, () => new Worker(url, fromSource ? { execArgv: ['--conditions=daqsim-source'] } : {}));
  let next = 0;
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const feed = (): void => {
              if (next >= jobs.length) {
                resolve();
                return;
              }
              const id = next++;
              w.postMessage({ id, job: jobs[id]! });
            };
            w.on('message', (reply: WorkerReply) => {
              if (reply.ok) record(reply.id, reply.result);
              else record(reply.id, { ...failed(jobs[reply.id]!), error: reply.error, flags: [{ code: 'unreadable', detail: reply.error.split('\n')[0]! }] });
              feed();
            });
            w.on('error', reject);
            feed();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

function failed(job: CcdJob): CcdResult {
  const f = job.file;
  return { path: f.path, obsId: f.obsId, detector: f.detector, imageType: f.imageType ?? '', band: f.band ?? '', exptime: f.exptime ?? 0, status: 'unreadable', amps: [], flags: [], seconds: 0 };
}
