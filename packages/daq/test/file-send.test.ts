/**
 * sendFile recycles its chunk buffers: the bytes that arrive must be the file's even when the writer holds on to
 * chunks (slow socket), several copies run at once, the file is shorter than promised, or the client goes away.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { sendFile } from '../src/file-send.js';

const dir = mkdtempSync(join(tmpdir(), 'daqsim-send-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, size: number, seed: number): { path: string; sha: string } {
  const b = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    b[i] = x >>> 24;
  }
  const path = join(dir, name);
  writeFileSync(path, b);
  return { path, sha: createHash('sha256').update(b).digest('hex') };
}

/** A writable that keeps every chunk it is given and acknowledges each one only after `delayMs`. */
function slowSink(delayMs: number): { sink: Writable; digest: () => string; bytes: () => number } {
  const hash = createHash('sha256');
  let n = 0;
  const sink = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, cb) {
      // Hash late: a recycled buffer overwritten before the acknowledgement would show up as a wrong digest.
      setTimeout(() => {
        hash.update(chunk);
        n += chunk.length;
        cb();
      }, delayMs);
    },
  });
  return { sink, digest: () => hash.digest('hex'), bytes: () => n };
}

describe('sendFile', () => {
  it('delivers the exact bytes through a slow writer, several copies at once', async () => {
    const files = [file('a.bin', 7 * (1 << 20) + 12345, 1), file('b.bin', 3 * (1 << 20), 2), file('c.bin', 1000, 3)];
    const sinks = files.map(() => slowSink(2));
    await Promise.all(files.map((f, k) => sendFile(f.path, [7 * (1 << 20) + 12345, 3 * (1 << 20), 1000][k]!, sinks[k]!.sink)));
    files.forEach((f, k) => expect(sinks[k]!.digest(), f.path).toBe(f.sha));
  });

  it('rejects when the file is shorter than the size promised', async () => {
    const f = file('short.bin', 5000, 4);
    const { sink } = slowSink(0);
    await expect(sendFile(f.path, 9000, sink)).rejects.toThrow(/shorter than 9000 bytes/);
  });

  it('rejects, without hanging, when the destination closes mid-way', async () => {
    const f = file('big.bin', 9 * (1 << 20), 5);
    const { sink, bytes } = slowSink(5);
    setTimeout(() => sink.destroy(), 20);
    await expect(sendFile(f.path, 9 * (1 << 20), sink)).rejects.toThrow();
    expect(bytes()).toBeLessThan(9 * (1 << 20));
  });
});
