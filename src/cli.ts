#!/usr/bin/env node
/**
 * The command line: thin on purpose. Exit codes: 0 success, 1 a window or run failed (details in
 * the log), 2 invalid configuration (one line on stderr, no stack trace).
 */
import { readFileSync } from 'node:fs';
import { createApp } from './app.ts';
import { loadConfig, optionsHelp } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { runDemo } from './demo/demo.ts';
import { ConfigError, describeError } from './errors.ts';
import { createLogger, type Logger } from './log.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const USAGE = `promship ${VERSION}: ships this cluster's Prometheus data as Thanos blocks into the global bucket.

Usage: promship <command> [flags]

Commands:
  once      Ship every complete, unshipped window oldest first, then exit
            (exit 1 if any window failed, after trying all of them).
  demo      Start a local Prometheus with generated history, ship it into a
            local directory bucket and print what was shipped.
  help      Show this help.
  version   Print the version.

Every flag can also be given as its environment variable; a flag wins.
${optionsHelp()}
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    case 'version':
    case '--version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case 'once': {
      const config = loadConfig({ env: process.env, argv: rest });
      return runOnce(config, createLogger({ level: config.logLevel, format: config.logFormat }));
    }
    case 'demo': {
      const config = loadConfig({ env: { PROMSHIP_LOG_FORMAT: 'pretty', ...process.env }, argv: rest });
      return runDemo(config, createLogger({ level: config.logLevel, format: config.logFormat }));
    }
    default:
      throw new ConfigError(`unknown command '${command}'; see 'promship --help'`);
  }
}

async function runOnce(config: Config, logger: Logger): Promise<number> {
  const app = await createApp(config, logger);
  try {
    const summary = await app.shipper.runOnce();
    return summary.failed.length > 0 ? 1 : 0;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`promship: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`promship: ${describeError(err)}\n`);
    process.exitCode = 1;
  },
);
