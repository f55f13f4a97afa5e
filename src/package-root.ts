/**
 * The package's root directory (where package.json sits). This module is one level
 * below it both as source (`src/`) and in the bundle, whose files all sit directly in `dist/`
 * (scripts/build.ts).
 */
export const PACKAGE_ROOT = new URL('../', import.meta.url);
