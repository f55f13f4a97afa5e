/**
 * Snappy block compression from the snappy package, loaded with require() for the reason given in
 * src/crc32c.ts.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const { compressSync, uncompress } = require('snappy') as typeof import('snappy');
