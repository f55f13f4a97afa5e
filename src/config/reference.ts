/**
 * `docs/configuration.md`, generated from the schema by `npm run docs`: every option's variable,
 * flag, default and description, one table per group, so the page cannot drift from the code.
 */
import { options, type OptionSpec } from './schema.ts';

type Group = OptionSpec<unknown>['group'];

const GROUP_TITLES: Record<Group, string> = {
  prometheus: 'Prometheus',
  cluster: 'Cluster identity',
  bucket: 'Bucket',
  shipping: 'Shipping',
  daemon: 'Agent (`promship run`)',
  fleet: 'Fleet view (`promship fleet`)',
  logging: 'Logging',
};

const INTRO = `Every setting is an environment variable with a matching flag (a flag wins). Invalid
configuration stops the process with exit code 2 and one line naming the variable. A \`*_FILE\`
setting must name a readable file when promship starts (only that is checked then: token and
password files are read again on every request, so a rotated secret needs no restart).

In the Helm chart every setting has a value in \`chart/values.yaml\` ([Helm](helm.md)). How the S3
settings combine with a Thanos objstore YAML, and how the signing region, path style and checksum
mode follow from the endpoint: [S3 stores](store-s3.md).`;

/** The rows of one group's table. */
function table(specs: readonly OptionSpec<unknown>[]): string {
  const rows = ['| Environment variable | Flag | Default | Description |', '|---|---|---|---|'];
  for (const spec of specs) {
    const def = spec.default === undefined || spec.default === '' ? '—' : `\`${spec.default}\``;
    rows.push(`| \`${spec.env}\` | \`${spec.flag}\` | ${def} | ${spec.description.replace(/\|/g, '\\|')} |`);
  }
  return rows.join('\n');
}

/** The whole page, as `npm run docs` writes it. */
export function configurationPage(): string {
  const specs = Object.values(options) as OptionSpec<unknown>[];
  const parts = [
    '<!-- generated from src/config/schema.ts by `npm run docs`; edit the schema, not this file -->',
    '# Configuration',
    INTRO,
  ];
  for (const group of Object.keys(GROUP_TITLES) as Group[]) {
    const inGroup = specs.filter((s) => s.group === group);
    if (inGroup.length > 0) parts.push(`## ${GROUP_TITLES[group]}`, table(inGroup));
  }
  return `${parts.join('\n\n')}\n`;
}

export const CONFIGURATION_PAGE = 'docs/configuration.md';
