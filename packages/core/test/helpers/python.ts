/** Run a snippet under the system Python (the one with Debian's astropy) with JSON in and JSON out. */
import { execFileSync } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';

/** Prelude: quiet astropy, no network, degraded IERS accuracy allowed for future dates. */
const PRELUDE = `
import json, sys, warnings
warnings.simplefilter('ignore')
from astropy.utils import iers
iers.conf.auto_download = False
iers.conf.iers_degraded_accuracy = 'warn'
args = json.load(sys.stdin)
`;

/** Run `body` (which reads `args` and must print one JSON document) and parse its output. */
export function runPython<T>(body: string, args: unknown): T {
  const out = execFileSync(PYTHON, ['-c', PRELUDE + body], {
    input: JSON.stringify(args),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out) as T;
}
