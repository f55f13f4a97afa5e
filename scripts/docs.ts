// Regenerates docs/configuration.md from the config schema.
import { writeFileSync } from 'node:fs';
import { CONFIGURATION_PAGE, configurationPage } from '../src/config/reference.ts';

writeFileSync(new URL(`../${CONFIGURATION_PAGE}`, import.meta.url), configurationPage());
