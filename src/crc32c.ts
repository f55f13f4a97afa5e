/**
 * CRC32C from @node-rs/crc32, loaded with require(): the package is CommonJS, and an ES import of
 * a CommonJS package runs Node's export lexer over its loader, some 5 ms of each run's start.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** CRC32C (Castagnoli) of `data`, continuing from `initial` when given; unsigned 32-bit result. */
export const { crc32c } = require('@node-rs/crc32') as typeof import('@node-rs/crc32');
