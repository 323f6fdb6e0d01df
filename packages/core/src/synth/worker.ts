/**
 * A synthesis worker: renders the amps it is sent into the shared output buffer and replies with their truth.
 * Everything it needs is in the message (the plan is plain data), so any worker can render any amp.
 */
import { parentPort } from 'node:worker_threads';
import { packedSceneTruth, renderAmps } from './render-ccd.js';
import { AmpWorkspace, defaultKernelKind } from './kernels.js';
import { Header, compressImageHdu } from '@daqsim/fits';
import type { CompressedAmp, WorkerReply, WorkerRequest } from './pool.js';

if (!parentPort) throw new Error('synthesis worker started outside a worker thread');
const port = parentPort;

port.on('message', (msg: WorkerRequest) => {
  try {
    // Kernels instantiated on the job's memory write the amps in place (instantiating a compiled module is cheap).
    const workspace = new AmpWorkspace(defaultKernelKind(), { memory: msg.memory, base: msg.workspace });
    const outputs = msg.amps.map((_, k) => new Int32Array(workspace.buffer, msg.offsets[k]!, msg.pixels));
    const truth = renderAmps(msg.plan, msg.detector, msg.amps, outputs, workspace);
    const compressed: CompressedAmp[] | undefined = msg.compress
      ? outputs.map((amp, k) => {
          const h = compressImageHdu(new Header().set('EXTNAME', msg.compress!.extnames[k]!), amp, [msg.shape[0], msg.shape[1]], { algorithm: 'RICE_1' });
          return { cards: h.header.list(), data: h.data };
        })
      : undefined;
    const reply: WorkerReply = {
      id: msg.id,
      truth,
      ...(compressed ? { compressed } : {}),
      ...(msg.wantScene ? { scene: packedSceneTruth(msg.plan, msg.detector) } : {}),
    };
    port.postMessage(reply, (compressed ?? []).map((c) => c.data.buffer as ArrayBuffer));
  } catch (e) {
    const reply: WorkerReply = { id: msg.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    port.postMessage(reply);
  }
});
