/**
 * Go's `regexp.Regexp.Expand` template rules, which Prometheus uses for `target_label`,
 * `replacement` and `labelmap`. JavaScript's `$` rules differ (`$1x` is group 1 then "x" there,
 * the group named `1x` here), so templates are expanded by hand, never by String.replace.
 */

/** The groups of one match: `groups[i]` is group i's text, or undefined when it did not take part. */
export interface MatchGroups {
  groups: readonly (string | null | undefined)[];
  named: Readonly<Record<string, number>>;
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/** Expands `$name`, `${name}` and `$$` in `template` with the groups of one match. */
export function expandTemplate(template: string, match: MatchGroups): string {
  if (!template.includes('$')) return template;
  let out = '';
  let rest = template;
  for (;;) {
    const at = rest.indexOf('$');
    if (at < 0) break;
    out += rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const ref = extractName(rest);
    if (ref === undefined) {
      // Malformed: Go keeps the `$` as text.
      out += '$';
      continue;
    }
    rest = ref.rest;
    const index = groupNumber(ref.name) ?? match.named[ref.name];
    if (index !== undefined) out += match.groups[index] ?? '';
  }
  return out + rest;
}

function extractName(text: string): { name: string; rest: string } | undefined {
  const brace = text.startsWith('{');
  const body = brace ? text.slice(1) : text;
  let end = 0;
  for (const ch of body) {
    if (!NAME_CHAR.test(ch)) break;
    end += ch.length;
  }
  if (end === 0) return undefined;
  const name = body.slice(0, end);
  if (brace) {
    if (body[end] !== '}') return undefined;
    end++;
  }
  return { name, rest: body.slice(end) };
}

/** A group number as Go reads it: ASCII digits, no leading zero, below 1e8; else a name. */
function groupNumber(name: string): number | undefined {
  if (!/^[0-9]+$/.test(name) || (name.length > 1 && name.startsWith('0'))) return undefined;
  const n = Number(name);
  return n >= 1e8 ? undefined : n;
}

/** Whether `template` refers to a group at all (Prometheus' `varInRegexTemplate`). */
export function hasTemplateVar(template: string): boolean {
  return template.includes('$');
}
