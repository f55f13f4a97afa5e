/**
 * The cluster's external labels: what goes into every block's `thanos.labels`, and which labels
 * remote read added to series that must be stripped again. They must equal what this cluster's
 * data carried before (a sidecar used all of Prometheus' external labels), or the querier on the
 * primary sees two different series sets for one cluster.
 */
import { ConfigError } from '../errors.ts';
import { sortLabels, type Labels } from '../labels.ts';

export interface IdentityInput {
  clusterLabel: string;
  clusterId: string | undefined;
  extraLabels: Record<string, string>;
  /** Prometheus' own `global.external_labels`. */
  prometheusLabels: Labels;
}

export interface Identity {
  clusterId: string;
  thanosLabels: Record<string, string>;
  /** Prometheus' external labels, which remote read adds to every series. */
  stripLabels: Labels;
}

export function resolveIdentity(input: IdentityInput): Identity {
  const fromPrometheus = new Map(input.prometheusLabels);
  const promId = fromPrometheus.get(input.clusterLabel);
  if (input.clusterId === undefined && promId === undefined) {
    throw new ConfigError(
      `no cluster id: set PROMSHIP_CLUSTER_ID, or give Prometheus the external label '${input.clusterLabel}' (or set PROMSHIP_CLUSTER_LABEL to the label it uses)`,
    );
  }
  if (input.clusterId !== undefined && promId !== undefined && input.clusterId !== promId) {
    throw new ConfigError(
      `PROMSHIP_CLUSTER_ID is '${input.clusterId}' but Prometheus' external label ${input.clusterLabel} is '${promId}'; make them agree`,
    );
  }
  const labels = new Map(fromPrometheus);
  for (const [k, v] of Object.entries(input.extraLabels)) {
    const existing = labels.get(k);
    if (existing !== undefined && existing !== v) {
      throw new ConfigError(
        `PROMSHIP_EXTERNAL_LABELS sets ${k}='${v}' but Prometheus' external label ${k} is '${existing}'; remove it from one of them`,
      );
    }
    if (k === input.clusterLabel) {
      throw new ConfigError(`PROMSHIP_EXTERNAL_LABELS must not set the cluster label ${k}; use PROMSHIP_CLUSTER_ID`);
    }
    labels.set(k, v);
  }
  const clusterId = input.clusterId ?? promId!;
  labels.set(input.clusterLabel, clusterId);
  const sorted = sortLabels(labels);
  return {
    clusterId,
    thanosLabels: Object.fromEntries(sorted),
    stripLabels: sortLabels(fromPrometheus),
  };
}

export function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}
