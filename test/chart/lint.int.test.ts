/**
 * `helm lint --strict` (real helm 3) passes for the default values with the required ones set
 * and for every scenario under chart/ci/; the chart's metadata is what the issue asks for.
 * (helm lint turns a template's `fail` into an INFO line, so missing required values are tested
 * with `helm template` in required-values.test.ts.)
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { SCENARIOS } from '../helpers/chart-scenarios.ts';
import { CHART_DIR, ROOT, helm } from '../helpers/helm.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('helm lint --strict passes for every scenario', async (t) => {
  const dir = await tempDir(t);
  for (const s of SCENARIOS) {
    const valuesFile = join(dir, 'values.json');
    await writeFile(valuesFile, JSON.stringify(s.values));
    const files = (s.opts.files ?? []).flatMap((f) => ['--values', join(ROOT, f)]);
    const res = await helm(['lint', CHART_DIR, '--strict', ...files, '--values', valuesFile]);
    t.equal(res.code, 0, `${s.name}: ${res.stdout}${res.stderr}`);
    t.match(res.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/, s.name);
    // helm lint reports a template's `fail` (our required-value checks) only as an INFO line.
    t.notMatch(
      res.stdout + res.stderr,
      /Fail:|\[(ERROR|WARNING)\]/,
      `${s.name}: no template failure hidden in the lint output`,
    );
  }
});

t.test('Chart.yaml: apiVersion v2, appVersion equals the package version', async (t) => {
  const chart = parse(await readFile(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  t.equal(chart.apiVersion, 'v2');
  t.equal(chart.type, 'application');
  t.equal(chart.name, 'promship');
  t.equal(chart.appVersion, pkg.version, 'the default image tag is the version this checkout builds');
});
