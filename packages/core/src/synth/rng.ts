/**
 * Counter-based random numbers: every value is a pure function of (key, counter), where the key is derived from
 * (seed, exposure, detector, amp, effect). Any amp can therefore be rendered alone, in any order, on any thread,
 * and give the same bits; and each effect draws from its own key, so switching one effect off leaves every other
 * effect's noise unchanged.
 */
import seedrandom from 'seedrandom';

/** A 64-bit stream key as two 32-bit words. */
export interface StreamKey {
  readonly k0: number;
  readonly k1: number;
}

/**
 * Derive a stream key from its path. seedrandom's Alea mixes the whole string into its state, so nearby paths
 * (amp 1 vs amp 11) give unrelated keys. It runs once per amp and effect, never in a pixel loop.
 */
export function streamKey(...path: Array<string | number | bigint>): StreamKey {
  const prng = seedrandom.alea(path.map(String).join('\u001f'));
  return { k0: prng.int32() | 0, k1: prng.int32() | 0 };
}

/**
 * The 32-bit output for `counter` under `key`: two rounds of a strong 32-bit integer hash (the "lowbias32"
 * constants of Wellons' hash-prospector), keyed before each round. Each round is a bijection, so distinct counters
 * under one key never collide.
 */
export function hash32(k0: number, k1: number, counter: number): number {
  let x = (counter ^ k0) | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aaad);
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97);
  x ^= x >>> 15;
  x = (x + k1) | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aaad);
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97);
  x ^= x >>> 15;
  return x >>> 0;
}

/** Uniform in (0, 1) for a counter: never exactly 0 or 1, so logs and inverse CDFs are safe. */
export function uniform(key: StreamKey, counter: number): number {
  return (hash32(key.k0, key.k1, counter) + 0.5) / 4294967296;
}

/**
 * A small sequential generator on top of the counter hash, for the few places that draw a variable number of
 * values (catalog cells, cosmic-ray tracks). Its state is just the counter, so it is as reproducible as the rest.
 */
export class KeyedSequence {
  private counter: number;

  constructor(
    private readonly key: StreamKey,
    start = 0,
  ) {
    this.counter = start;
  }

  next(): number {
    return uniform(this.key, this.counter++);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.next() * n));
  }

  /** Standard normal by Box-Muller (exact tails; used outside pixel loops). */
  normal(): number {
    const u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Poisson deviate: inversion for small means, a rounded normal above 50 where the error is below 0.1%. */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    let k = 0;
    let p = Math.exp(-mean);
    let s = p;
    const u = this.next();
    while (u > s && k < 1000) {
      k++;
      p *= mean / k;
      s += p;
    }
    return k;
  }

  exponential(mean: number): number {
    return -mean * Math.log(this.next());
  }
}
