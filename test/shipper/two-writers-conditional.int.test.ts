/**
 * Two `promship once` with one cluster id, started together, 20 rounds (PROMSHIP_TWO_WRITERS_ROUNDS)
 * on an S3 store honouring If-None-Match: * (a proxy in front of s3rver): no
 * overlapping block, every window once, no partial block, dump equal to the source. See
 * test/helpers/two-writers-rounds.ts.
 */
process.env.PROMSHIP_TWO_WRITERS_STORES = 'conditional';
await import('../helpers/two-writers-rounds.ts');
