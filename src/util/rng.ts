/**
 * A small, fast, seeded pseudo-random generator (sfc32 seeded through splitmix32), for shuffles
 * and splits that must be the same on every run and independent of libtorch's global generator.
 * @module
 */

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A generator's saved state (JSON). */
export interface RngState {
  seed: number;
  s: number[];
}

/** A seeded generator. Same seed, same sequence; `fork(k)` gives independent child streams. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  readonly seed: number;

  /** `seed`: any non-negative safe integer. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`Rng: seed must be a non-negative integer, got ${seed}`);
    this.seed = seed;
    const st = { s: (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32), 0x27d4eb2f) };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A generator for stream `k` of this seed (e.g. one per epoch), independent of this one's state. */
  fork(k: number): Rng {
    const st = { s: (this.seed ^ Math.imul(k + 1, 0x632be5ab)) | 0 };
    return new Rng((splitmix32(st) * 2 ** 21 + (splitmix32(st) >>> 11)) % Number.MAX_SAFE_INTEGER);
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) throw new Error(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    // Rejection sampling keeps it unbiased.
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** A standard normal draw (Box-Muller; uses two uniforms). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** The generator's full state, as JSON; {@link Rng.fromState} continues the same sequence. */
  state(): RngState {
    return { seed: this.seed, s: [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0] };
  }

  /** A generator that continues exactly where the one that gave `state` stood. */
  static fromState(state: RngState): Rng {
    const ok = state && Number.isSafeInteger(state.seed) && Array.isArray(state.s) && state.s.length === 4 && state.s.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32);
    if (!ok) throw new Error('Rng.fromState: not a saved generator state ({ seed, s: [4 uint32] })');
    const r = new Rng(state.seed);
    [r.a, r.b, r.c, r.d] = state.s.map((x) => x | 0);
    return r;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
