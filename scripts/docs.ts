// Regenerates the README's configuration reference from the config schema, and docs/errors.md from
// the error-code registry.
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigReference } from '../src/config/reference.ts';
import { errorReference } from '../src/error-reference.ts';

const path = new URL('../README.md', import.meta.url);
writeFileSync(path, withConfigReference(readFileSync(path, 'utf8')));
writeFileSync(new URL('../docs/errors.md', import.meta.url), errorReference());
