/** Worker thread of the QA pool: runs analyzeCcd on each job it is sent. */
import { parentPort } from 'node:worker_threads';
import { type CcdJob, analyzeCcd } from './analyze.js';

export interface WorkerRequest {
  id: number;
  job: CcdJob;
}

export type WorkerReply = { id: number; ok: true; result: Awaited<ReturnType<typeof analyzeCcd>> } | { id: number; ok: false; error: string };

parentPort?.on('message', (msg: WorkerRequest) => {
  analyzeCcd(msg.job).then(
    (result) => parentPort!.postMessage({ id: msg.id, ok: true, result } satisfies WorkerReply),
    (err: unknown) => parentPort!.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies WorkerReply),
  );
});
