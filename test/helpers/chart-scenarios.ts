/**
 * The chart's scenarios: the default values with only the required ones set, and every values
 * file under chart/ci/ (the files chart-testing would install), each rendered the same way.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHART_DIR, REQUIRED_VALUES, type RenderOptions } from './helm.ts';

export interface ChartScenario {
  name: string;
  /** Values given inline (after the files). */
  values: object;
  opts: RenderOptions;
}

export const CI_VALUES_FILES = readdirSync(join(CHART_DIR, 'ci'))
  .filter((f) => f.endsWith('-values.yaml'))
  .sort();

export const SCENARIOS: ChartScenario[] = [
  { name: 'defaults with the required values', values: REQUIRED_VALUES, opts: {} },
  ...CI_VALUES_FILES.map((f) => ({ name: `ci/${f}`, values: {}, opts: { files: [`chart/ci/${f}`] } })),
];
