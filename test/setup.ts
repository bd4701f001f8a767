/**
 * Loaded before every test file (.mocharc.cjs `require`). Property tests run with a fixed seed so
 * that CI is reproducible; FUZZ_SEED=<n> picks another one and FUZZ_SEED=random a fresh one per run
 * (fast-check prints the seed of any failure, to replay it).
 */
import fc from 'fast-check';

const seed = process.env.FUZZ_SEED;
if (seed !== 'random') fc.configureGlobal({ seed: seed === undefined ? 20261127 : Number(seed) });
