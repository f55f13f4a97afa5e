/**
 * pino, with the fields that could carry credentials redacted at the source: a secret that never
 * reaches a log object cannot leak through a formatter, a transport or a log pipeline.
 */
import { createRequire } from 'node:module';
import type { Logger } from 'pino';

// pino is CommonJS, and loaded with require(), not import: an ES import of a CommonJS package runs
// Node's export lexer, which the agent has no other use for. When the lexer ran before
// src/agent-v8-flags.ts turned TurboFan off, TurboFan compiled it and the idle agent kept 8 MiB
// more on Node 22 (bench/idle-rss.ts).
const require = createRequire(import.meta.url);
const { pino } = require('pino') as typeof import('pino');
// Loaded only for the pretty format: JSON, what the agent logs in a cluster, should not pay for it.
const loadPretty = (): typeof import('pino-pretty') => require('pino-pretty') as typeof import('pino-pretty');

export type { Logger };

const REDACT_PATHS = [
  '*.password',
  '*.secretAccessKey',
  '*.secret_key',
  '*.sessionToken',
  '*.session_token',
  '*.accessKeyId',
  '*.access_key',
  '*.token',
  '*.authorization',
  '*.headers',
  'password',
  'token',
  'headers',
];

export interface LogOptions {
  level: string;
  format: 'json' | 'pretty';
  /** Defaults to stdout (fd 1). */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LogOptions): Logger {
  const base = {
    level: opts.level,
    base: { name: 'promship' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (opts.format === 'pretty') {
    return pino(
      base,
      loadPretty()({
        colorize: false,
        translateTime: 'SYS:standard',
        ignore: 'pid,hostname,name',
        destination: opts.destination ?? 1,
        sync: true,
      }),
    );
  }
  return pino(base, opts.destination ?? pino.destination({ dest: 1, sync: true }));
}
