/**
 * `daqsim serve`: run one emulated camera CSC with its DAQ, store and notifications over HTTP.
 *
 * Settings come from the embedded defaults, then the --config JSON file, then the options given on the command line
 * (an option overrides the file only when given). The bearer token may also come from DAQSIM_TOKEN.
 */
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CAMERA_KEYS, DaqError, LogLevel, defaultConfig, isCameraKey, isS3Url, loadConfigFile, startServer, type DaqConfig, type DaqEmulator, type S3Store } from '@daqsim/daq';
import { UsageError } from '../shared/output.js';
import { addS3Options, describeS3Event, openS3Store, type S3CliOptions } from '../shared/s3.js';

interface ServeOptions extends S3CliOptions {
  camera?: string;
  stateDir?: string;
  host?: string;
  port?: number;
  store?: string;
  timeScale?: number;
  config?: string;
  token?: string;
  log?: boolean;
  pixels?: 'synthetic' | 'constant';
  seed?: number;
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be an integer 0..65535');
  return n;
}

function seed(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

function timeScale(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number >= 0');
  return n;
}

/** The effective configuration: defaults < config file < command line (< DAQSIM_TOKEN for an unset token). */
export async function resolveServeConfig(opts: ServeOptions, env: Record<string, string | undefined> = process.env): Promise<DaqConfig> {
  let config = defaultConfig();
  if (opts.config) config = await loadConfigFile(opts.config, config);
  if (opts.camera !== undefined) {
    if (!isCameraKey(opts.camera)) throw new DaqError('BAD_CONFIG', `--camera must be one of ${CAMERA_KEYS.join(', ')}`, 'camera');
    config.camera = opts.camera;
  }
  if (opts.host !== undefined) config.host = opts.host;
  if (opts.port !== undefined) config.port = opts.port;
  if (opts.store !== undefined) config.store = opts.store;
  if (opts.stateDir !== undefined) config.stateDir = opts.stateDir;
  // An s3:// store keeps its sequence numbers and spool in a local state directory, never inside the bucket.
  if (config.store !== null && isS3Url(config.store)) config.stateDir ??= DEFAULT_STATE_DIR;
  if (opts.timeScale !== undefined) config.timeScale = opts.timeScale;
  if (opts.pixels !== undefined) config.pixels = opts.pixels;
  if (opts.seed !== undefined) config.seed = opts.seed;
  if (opts.token !== undefined) config.token = opts.token;
  else if (!config.token && env.DAQSIM_TOKEN) config.token = env.DAQSIM_TOKEN;
  return config;
}

const DEFAULT_STATE_DIR = './daqsim-state';

export interface ServeStore {
  store: S3Store;
  /** Where DAQ log messages go once the emulator exists. */
  attach(emulator: DaqEmulator): void;
  /** Wait for spooled objects (up to `timeoutMs`), then release the client. */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * For an `s3://` store in `config.store`: open the S3Store (spool under `config.stateDir`), with its events as log
 * lines on stderr and, once attached, as DAQ logMessage events. undefined for a directory store. A missing bucket,
 * bad credentials or an unreachable gateway throw UsageError.
 */
export async function openServeStore(config: DaqConfig, opts: S3CliOptions, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<ServeStore | undefined> {
  if (config.store === null || !isS3Url(config.store)) return undefined;
  const stateDir = config.stateDir ?? DEFAULT_STATE_DIR;
  let emulator: DaqEmulator | undefined;
  const store = await openS3Store(config.store, opts, {
    spoolDir: join(resolve(stateDir), 's3-spool'),
    onEvent: (e) => {
      const { level, text } = describeS3Event(e);
      log(`daqsim: ${text}`);
      emulator?.csc.log(level === 'error' ? LogLevel.ERROR : level === 'warning' ? LogLevel.WARNING : LogLevel.INFO, text, 's3');
    },
  });
  return {
    store,
    attach: (em) => {
      emulator = em;
    },
    close: async (timeoutMs) => {
      try {
        await store.drain(timeoutMs);
      } finally {
        emulator = undefined;
        await store.close();
      }
    },
  };
}

export function serveCommand(): Command {
  const cmd = new Command('serve')
    .description('serve an emulated camera CSC (ATCamera, CCCamera or MTCamera) with its DAQ over HTTP')
    .addOption(new Option('--camera <name>', 'camera to emulate (default latiss)').choices([...CAMERA_KEYS]))
    .option('--host <address>', 'address to listen on; beyond loopback a token is required (default 127.0.0.1)')
    .option('--port <number>', 'TCP port, 0 for any free one (default 8123)', port)
    .option('--store <dir|s3://BUCKET/PREFIX>', 'directory or S3 bucket the raw files are written to (default ./daqsim-store)')
    .option('--state-dir <dir>', `sequence numbers and the S3 spool (default {store}/.daqsim, or ${DEFAULT_STATE_DIR} for an s3:// store)`)
    .option('--time-scale <x>', '1 = real time, N = N times faster, 0 = as fast as possible (default 1)', timeScale)
    .option('--config <file>', 'JSON configuration file (notifications, faults, timing, ...); options given here override it')
    .option('--token <token>', 'bearer token required for commands and faults (default: $DAQSIM_TOKEN)')
    .addOption(new Option('--pixels <kind>', 'synthetic (physical model, default) or constant (bias level only, fastest)').choices(['synthetic', 'constant']))
    .option('--seed <n>', 'synthesis seed: the same seed and exposure give the same bytes (default 0)', seed)
    .option('--log', 'log every HTTP request (JSON lines on stdout)')
    .addHelpText(
      'after',
      '\nThe API is described at http://HOST:PORT/api/v1/openapi.json. Stop with Ctrl-C (SIGINT) or SIGTERM.\n' +
        'Examples:\n  pnpm daqsim serve --camera comcam --time-scale 10 --store /tmp/raws\n' +
        '  pnpm daqsim serve --camera comcam --store s3://rubinobs-raw-lsstcomcam --s3-endpoint http://127.0.0.1:7480 (docs/ceph.md)',
    );
  return addS3Options(cmd).action(async (opts: ServeOptions, cmd: Command) => {
      let config: DaqConfig;
      try {
        config = await resolveServeConfig(opts);
      } catch (e) {
        cmd.error(`daqsim serve: ${(e as Error).message}`, { exitCode: 2 });
      }
      let s3: ServeStore | undefined;
      try {
        s3 = await openServeStore(config, opts);
      } catch (e) {
        cmd.error(`daqsim serve: ${(e as Error).message}`, { exitCode: e instanceof UsageError || e instanceof DaqError ? 2 : 1 });
      }
      let running: Awaited<ReturnType<typeof startServer>>;
      try {
        running = await startServer(config, s3 ? { store: s3.store } : {}, { logger: opts.log ?? false });
      } catch (e) {
        await s3?.close(0).catch(() => undefined);
        cmd.error(`daqsim serve: ${(e as Error).message}`, { exitCode: e instanceof DaqError ? 2 : 1 });
      }
      s3?.attach(running.emulator);
      const { emulator } = running;
      process.stdout.write(
        `daqsim: ${emulator.profile.csc} (${emulator.camera.instrument}) listening on ${running.url}\n` +
          `daqsim: store ${config.store ?? '(memory)'}, time scale ${config.timeScale}, ${emulator.camera.detectors.length} detectors, ` +
          `summary state ${emulator.csc.summaryState}, commands ${config.token ? 'need a bearer token' : 'open (loopback)'}\n` +
          `daqsim: API ${running.url}/api/v1/openapi.json\n`,
      );
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`daqsim: ${signal}, stopping\n`);
        running
          .close()
          // Spooled objects wait for the gateway up to 30 s; past that they stay in the spool for the next start.
          .then(() => s3?.close(30_000))
          .then(
          () => process.exit(0),
          (e: unknown) => {
            process.stderr.write(`daqsim: error while stopping: ${(e as Error).message}\n`);
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
