import { readFileSync } from 'node:fs';

/**
 * `promship/<version>`, so Prometheus operators can tell promship's reads apart in their logs.
 * package.json sits two levels up from both `src/prometheus/` and `dist/prometheus/`.
 */
export const USER_AGENT = `promship/${packageVersion()}`;

function packageVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const version = (pkg as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}
