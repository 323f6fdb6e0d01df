/**
 * Copy a file to a writable (an HTTP response) through a few recycled 1 MiB buffers. `createReadStream` allocates a
 * fresh buffer per chunk; on VMs where first-touch page faults are expensive that capped a CCD download at ~0.2x
 * serving the same bytes from memory. Here a buffer goes back to the pool only when the socket's write callback says
 * the kernel has taken its bytes, so a buffer is never reused while a write still refers to it.
 */
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';

const CHUNK = 1 << 20;
/** Chunks one copy keeps in flight: enough to overlap the next read with the socket draining the last. */
const IN_FLIGHT = 4;
/** Buffers kept warm across requests. */
const POOL_MAX = 16;
const pool: Buffer[] = [];

function take(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafeSlow(CHUNK);
}

function give(b: Buffer): void {
  if (pool.length < POOL_MAX) pool.push(b);
}

/** Write `size` bytes of the file at `path` to `out`; rejects if the file is shorter or `out` fails or closes. */
export async function sendFile(path: string, size: number, out: Writable): Promise<void> {
  const fh = await open(path, 'r');
  let failure: Error | null = null;
  let pending = 0;
  let wake: (() => void) | null = null;
  const settle = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const onClose = (): void => {
    failure ??= new Error('the connection closed before the file was sent');
    settle();
  };
  out.once('close', onClose);
  try {
    let pos = 0;
    while (pos < size) {
      while (pending >= IN_FLIGHT && !failure) await new Promise<void>((r) => (wake = r));
      if (failure) throw failure;
      const buf = take();
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, size - pos), pos);
      if (bytesRead === 0) {
        give(buf);
        throw new Error(`${path} is shorter than ${size} bytes`);
      }
      pos += bytesRead;
      pending++;
      out.write(bytesRead === CHUNK ? buf : buf.subarray(0, bytesRead), (err) => {
        pending--;
        // A failed write may still hold the buffer: drop it rather than recycle it.
        if (err) failure ??= err;
        else give(buf);
        settle();
      });
    }
    while (pending > 0 && !failure) await new Promise<void>((r) => (wake = r));
    if (failure) throw failure;
  } finally {
    out.off('close', onClose);
    await fh.close();
  }
}
