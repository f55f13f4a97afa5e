/**
 * Two `promship once` with one cluster id, started together, 20 rounds (PROMSHIP_TWO_WRITERS_ROUNDS)
 * on the file bucket: no
 * overlapping block, every window once, no partial block, dump equal to the source. See
 * test/helpers/two-writers-rounds.ts.
 */
process.env.PROMSHIP_TWO_WRITERS_STORES = 'file';
await import('../helpers/two-writers-rounds.ts');
