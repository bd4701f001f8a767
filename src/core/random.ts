import { randomFillSync } from 'node:crypto';

/** Randomness is injected too, so tests can replay exact message IDs, tokens and loss patterns. */
export interface Random {
  bytes(n: number): Uint8Array;
  /** Uniform float in [0, 1). */
  float(): number;
  /** Uniform integer in [0, max). */
  int(max: number): number;
}

const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let poolPos = POOL_SIZE;

/**
 * Bytes from the CSPRNG (tokens, nonces), drawn from a refilled pool so that small draws are cheap;
 * floats and integers (backoff jitter, message-ID start) from Math.random, which is enough there.
 */
export const cryptoRandom: Random = {
  bytes: (n) => {
    if (n > POOL_SIZE / 4) return randomFillSync(new Uint8Array(n));
    if (poolPos + n > POOL_SIZE) {
      randomFillSync(pool);
      poolPos = 0;
    }
    const out = pool.slice(poolPos, poolPos + n);
    poolPos += n;
    return out;
  },
  float: () => Math.random(),
  int: (max) => Math.floor(Math.random() * max),
};

/** Deterministic generator (mulberry32) for tests and reproducible link emulation. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    bytes: (n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
      return out;
    },
    float: next,
    int: (max) => Math.floor(next() * max),
  };
}
