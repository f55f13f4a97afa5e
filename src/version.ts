import { readFileSync } from 'node:fs';
import { PACKAGE_ROOT } from './package-root.ts';

/**
 * promship's version from the package's package.json (the image copies it beside dist/ too).
 */
export const VERSION: string = (() => {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8'));
    const version = (pkg as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
})();
