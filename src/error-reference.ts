/** `docs/errors.md`, generated from the error-code registry (`npm run docs`). */
import { errorCodes, type ErrorCode } from './error-codes.ts';

const groups: readonly { title: string; holds: (code: ErrorCode) => boolean }[] = [
  { title: 'Reading from Prometheus', holds: (c) => c.startsWith('PROMSHIP_REMOTE_READ_') },
  { title: 'Building blocks', holds: (c) => c.startsWith('PROMSHIP_TSDB') },
  { title: 'Storing blocks', holds: (c) => c.startsWith('PROMSHIP_BUCKET_') },
];
const other = 'Configuration, runs and windows';

const cell = (text: string): string => text.replace(/\|/g, '\\|');

export function errorReference(): string {
  const sections = new Map<string, ErrorCode[]>([
    [other, []],
    ...groups.map((g) => [g.title, []] as [string, ErrorCode[]]),
  ]);
  for (const code of Object.keys(errorCodes) as ErrorCode[]) {
    sections.get(groups.find((g) => g.holds(code))?.title ?? other)?.push(code);
  }
  const out = [
    '# Error codes',
    '',
    '<!-- Generated from src/error-codes.ts by `npm run docs`; edit that file, not this one. -->',
    '',
    'Every error promship logs or prints carries one of these stable codes (the `code` field of a JSON log',
    'line, or `[PROMSHIP_…]` in a message), so alerts and scripts can match on it. A failed window is',
    'retried with backoff unless the table says otherwise; invalid configuration stops the process at start',
    'with exit code 2.',
  ];
  for (const [title, codes] of sections) {
    out.push('', `## ${title}`, '', '| Code | Meaning | What to do |', '|---|---|---|');
    for (const code of codes) {
      const doc = errorCodes[code];
      out.push(`| \`${code}\` | ${cell(doc.meaning)} | ${cell(doc.action)} |`);
    }
  }
  return `${out.join('\n')}\n`;
}
