/**
 * `daqsim serve`: run one emulated camera CSC with its DAQ, store and notifications over HTTP.
 *
 * Settings come from the embedded defaults, then the --config JSON file, then the options given on the command line
 * (an option overrides the file only when given). The bearer token may also come from DAQSIM_TOKEN.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { CAMERA_KEYS, DaqError, defaultConfig, isCameraKey, loadConfigFile, startServer, type DaqConfig } from '@daqsim/daq';

interface ServeOptions {
  camera?: string;
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
  if (opts.timeScale !== undefined) config.timeScale = opts.timeScale;
  if (opts.pixels !== undefined) config.pixels = opts.pixels;
  if (opts.seed !== undefined) config.seed = opts.seed;
  if (opts.token !== undefined) config.token = opts.token;
  else if (!config.token && env.DAQSIM_TOKEN) config.token = env.DAQSIM_TOKEN;
  return config;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve an emulated camera CSC (ATCamera, CCCamera or MTCamera) with its DAQ over HTTP')
    .addOption(new Option('--camera <name>', 'camera to emulate (default latiss)').choices([...CAMERA_KEYS]))
    .option('--host <address>', 'address to listen on; beyond loopback a token is required (default 127.0.0.1)')
    .option('--port <number>', 'TCP port, 0 for any free one (default 8123)', port)
    .option('--store <dir>', 'directory the raw files are written to (default ./daqsim-store)')
    .option('--time-scale <x>', '1 = real time, N = N times faster, 0 = as fast as possible (default 1)', timeScale)
    .option('--config <file>', 'JSON configuration file (notifications, faults, timing, ...); options given here override it')
    .option('--token <token>', 'bearer token required for commands and faults (default: $DAQSIM_TOKEN)')
    .addOption(new Option('--pixels <kind>', 'synthetic (physical model, default) or constant (bias level only, fastest)').choices(['synthetic', 'constant']))
    .option('--seed <n>', 'synthesis seed: the same seed and exposure give the same bytes (default 0)', seed)
    .option('--log', 'log every HTTP request (JSON lines on stdout)')
    .addHelpText(
      'after',
      '\nThe API is described at http://HOST:PORT/api/v1/openapi.json. Stop with Ctrl-C (SIGINT) or SIGTERM.\n' +
        'Example:\n  pnpm daqsim serve --camera comcam --time-scale 10 --store /tmp/raws',
    )
    .action(async (opts: ServeOptions, cmd: Command) => {
      let config: DaqConfig;
      try {
        config = await resolveServeConfig(opts);
      } catch (e) {
        cmd.error(`daqsim serve: ${(e as Error).message}`, { exitCode: 2 });
      }
      let running: Awaited<ReturnType<typeof startServer>>;
      try {
        running = await startServer(config, {}, { logger: opts.log ?? false });
      } catch (e) {
        cmd.error(`daqsim serve: ${(e as Error).message}`, { exitCode: e instanceof DaqError ? 2 : 1 });
      }
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
        running.close().then(
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
