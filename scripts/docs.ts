// Regenerates the README's configuration reference from the config schema.
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigReference } from '../src/config/reference.ts';

const path = new URL('../README.md', import.meta.url);
writeFileSync(path, withConfigReference(readFileSync(path, 'utf8')));
