/** Configuration: defaults, a JSON file merged over them, every bad field named. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/tools.js';
import { defaultConfig, isLoopback, loadConfigFile, mergeConfig } from '../src/index.js';

describe('config', () => {
  it('merges a file over the defaults', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'daqsim.json');
      writeFileSync(
        path,
        JSON.stringify({
          camera: 'comcam',
          timeScale: 10,
          notifications: { webhooks: ['http://127.0.0.1:9/notify', { url: 'http://127.0.0.1:9/b', secret: 's' }], redis: { url: 'redis://127.0.0.1:6379/2' }, retry: { attempts: 2 } },
          faults: [{ kind: 'fileLate', detector: 'R22_S11', delay: 20 }],
          timing: { readout: 3 },
        }),
      );
      const c = await loadConfigFile(path, defaultConfig());
      expect(c).toMatchObject({ camera: 'comcam', timeScale: 10, host: '127.0.0.1', port: 8123, timing: { readout: 3 } });
      expect(c.notifications.webhooks).toEqual([{ url: 'http://127.0.0.1:9/notify' }, { url: 'http://127.0.0.1:9/b', secret: 's' }]);
      expect(c.notifications.retry).toEqual({ attempts: 2, baseDelayMs: 200, maxDelayMs: 10_000 });
      expect(c.faults).toEqual([{ kind: 'fileLate', detector: 'R22_S11', delay: 20 }]);
    } finally {
      cleanup();
    }
  });

  it('names the bad field', () => {
    const cases: Array<[unknown, string]> = [
      [{ camera: 'hsc' }, 'camera'],
      [{ port: 70000 }, 'port'],
      [{ timeScale: -1 }, 'timeScale'],
      [{ controller: 'X' }, 'controller'],
      [{ colour: 'blue' }, 'colour'],
      [{ notifications: { webhooks: ['ftp://x'] } }, 'notifications.webhooks[0]'],
      [{ notifications: { redis: { url: 'redis://h', payload: 'all' } } }, 'notifications.redis.payload'],
      [{ faults: [{ kind: 'fileLate', delay: -1 }] }, 'faults[0].delay'],
      [{ faults: [{ kind: 'gremlins' }] }, 'faults[0].kind'],
      [{ timing: { shutterMove: 2 } }, 'timing.shutterMove'],
      [{ initialState: 'FAULT' }, 'initialState'],
    ];
    for (const [raw, field] of cases) {
      expect(() => mergeConfig(defaultConfig(), raw), field).toThrow(expect.objectContaining({ code: 'BAD_CONFIG', field }));
    }
  });

  it('knows loopback', () => {
    expect(['127.0.0.1', '::1', 'localhost', '127.1.2.3'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.0.0.5', '::'].some(isLoopback)).toBe(false);
  });
});
