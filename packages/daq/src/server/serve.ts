/**
 * Start a whole DAQ emulator: the emulated camera from a config, its HTTP server, listening. What
 * `daqsim serve` runs; tests and examples use it too.
 */
import type { FastifyInstance } from 'fastify';
import { isLoopback, type DaqConfig } from '../config.js';
import { DaqEmulator, type EmulatorDeps } from '../emulator.js';
import { DaqError } from '../errors.js';
import { buildServer } from './app.js';

export interface RunningServer {
  app: FastifyInstance;
  emulator: DaqEmulator;
  /** http://host:port */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startServer(config: DaqConfig, deps: EmulatorDeps = {}, opts: { logger?: boolean } = {}): Promise<RunningServer> {
  if (!isLoopback(config.host) && !config.token) {
    throw new DaqError('BAD_CONFIG', `listening on ${config.host} (beyond loopback) requires a bearer token (--token or DAQSIM_TOKEN)`, 'token');
  }
  const emulator = await DaqEmulator.create(config, deps);
  let app: FastifyInstance;
  try {
    app = await buildServer([emulator], {
      token: config.token,
      bodyLimit: config.bodyLimit,
      commandTimeoutGrace: config.commandTimeoutGrace,
      logger: opts.logger ?? false,
    });
    await app.listen({ host: config.host, port: config.port });
  } catch (e) {
    await emulator.close();
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  return {
    app,
    emulator,
    port,
    url: `http://${host}:${port}`,
    // Both at once: closing the emulator aborts running commands, which lets HTTP requests waiting for their final
    // ack finish, which lets the server close.
    close: () => (closing ??= Promise.all([app.close(), emulator.close()]).then(() => undefined)),
  };
}
