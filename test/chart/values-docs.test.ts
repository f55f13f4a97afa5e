/**
 * values.yaml documents every value in place (a comment right above each key, down to the
 * leaves, except inside blocks that are plain Kubernetes objects), and values.schema.json
 * describes exactly the keys values.yaml has, so a value cannot be added to one and not the other.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { isMap, isScalar, parseDocument, type Node } from 'yaml';
import { CHART_DIR } from '../helpers/helm.ts';

/** Values whose contents are Kubernetes objects, documented by Kubernetes itself. */
const KUBERNETES_TYPED = new Set([
  'podSecurityContext',
  'securityContext',
  'resources',
  'livenessProbe',
  'readinessProbe',
]);

interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
}

t.test('every value in values.yaml has a comment', async (t) => {
  const doc = parseDocument(await readFile(join(CHART_DIR, 'values.yaml'), 'utf8'));
  const undocumented: string[] = [];
  const walk = (node: unknown, path: string[]): void => {
    if (!isMap(node)) return;
    node.items.forEach((pair, i) => {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const comment = (pair.key as Node | null)?.commentBefore ?? (i === 0 ? node.commentBefore : undefined);
      if (!comment?.trim()) undocumented.push([...path, key].join('.'));
      if (!KUBERNETES_TYPED.has(key)) walk(pair.value, [...path, key]);
    });
  };
  walk(doc.contents, []);
  t.same(undocumented, [], 'no value without a comment');
});

t.test('values.schema.json and values.yaml have the same keys', async (t) => {
  const values = parseDocument(await readFile(join(CHART_DIR, 'values.yaml'), 'utf8')).toJS() as Record<
    string,
    unknown
  >;
  const schema = JSON.parse(await readFile(join(CHART_DIR, 'values.schema.json'), 'utf8')) as SchemaNode;
  t.equal(schema.additionalProperties, false, 'no unknown keys at the top level');

  const missingInSchema: string[] = [];
  const walkValues = (value: unknown, node: SchemaNode | undefined, path: string[]): void => {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !node?.properties) return;
    for (const [k, v] of Object.entries(value)) {
      const child = node.properties[k];
      if (!child) missingInSchema.push([...path, k].join('.'));
      else if (!KUBERNETES_TYPED.has(k)) walkValues(v, child, [...path, k]);
    }
  };
  walkValues(values, schema, []);
  t.same(missingInSchema, [], 'every value has a schema');

  const missingInValues: string[] = [];
  const walkSchema = (node: SchemaNode, value: unknown, path: string[]): void => {
    for (const [k, child] of Object.entries(node.properties ?? {})) {
      if (path.length === 0 && k === 'global') continue;
      const v = (value as Record<string, unknown> | undefined)?.[k];
      if (v === undefined) missingInValues.push([...path, k].join('.'));
      else if (child.properties) walkSchema(child, v, [...path, k]);
    }
  };
  walkSchema(schema, values, []);
  t.same(missingInValues, [], 'every schema property has a documented default in values.yaml');
});
