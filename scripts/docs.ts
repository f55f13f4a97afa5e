// Regenerates docs/configuration.md from the config schema, and docs/errors.md from the error-code
// registry.
import { writeFileSync } from 'node:fs';
import { CONFIGURATION_PAGE, configurationPage } from '../src/config/reference.ts';
import { errorReference } from '../src/error-reference.ts';

writeFileSync(new URL(`../${CONFIGURATION_PAGE}`, import.meta.url), configurationPage());
writeFileSync(new URL('../docs/errors.md', import.meta.url), errorReference());
