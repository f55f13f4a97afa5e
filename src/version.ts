import { readFileSync } from 'node:fs';

/**
 * promship's version from package.json, which sits one level above both `src/` and `dist/`
 * (the image copies it there too).
 */
export const VERSION: string = (() => {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const version = (pkg as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
})();
