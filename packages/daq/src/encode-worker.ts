/** Worker thread of WorkerEncoder: rebuilds the HDUs and encodes the file. */
import { parentPort } from 'node:worker_threads';
import { Header, encodeFits, type HduSpec } from '@daqsim/fits';
import type { EncodeReply, EncodeRequest } from './encoder.js';

parentPort!.on('message', (req: EncodeRequest) => {
  let reply: EncodeReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const hdus: HduSpec[] = req.hdus.map((h) => ({
      ...(h.cards ? { header: new Header(h.cards) } : {}),
      ...(h.data ? { data: h.data } : {}),
      ...(h.shape ? { shape: h.shape } : {}),
      ...(h.compress ? { compress: h.compress } : {}),
      ...(h.prepared ? { prepared: { header: new Header(h.prepared.cards), data: h.prepared.data } } : {}),
    }));
    const bytes = encodeFits(hdus);
    transfer.push(bytes.buffer as ArrayBuffer);
    reply = { id: req.id, bytes };
  } catch (e) {
    reply = { id: req.id, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply, transfer);
});
