/** Worker thread of ThumbnailService: reads one CCD file and renders its thumbnail. */
import { parentPort } from 'node:worker_threads';
import { getCamera, getDetector } from '@daqsim/core';
import { FitsError, FitsFile } from '@daqsim/fits';
import { renderThumbnail } from './thumbnail.js';
import type { ThumbnailJob, ThumbnailReply } from './thumbnail-service.js';

parentPort!.on('message', (job: ThumbnailJob) => {
  void (async () => {
    let reply: ThumbnailReply;
    const transfer: ArrayBuffer[] = [];
    let file: FitsFile | undefined;
    try {
      file = 'path' in job.source ? await FitsFile.open(job.source.path) : FitsFile.fromBytes(job.source.bytes);
      const thumbnail = await renderThumbnail(file, getDetector(getCamera(job.camera), job.detector), job.size);
      transfer.push(thumbnail.png.buffer as ArrayBuffer);
      reply = { id: job.id, thumbnail };
    } catch (e) {
      reply = { id: job.id, error: e instanceof Error ? e.message : String(e), ...(e instanceof FitsError ? { fitsCode: e.code } : {}) };
    } finally {
      await file?.close().catch(() => undefined);
    }
    parentPort!.postMessage(reply, transfer);
  })();
});
