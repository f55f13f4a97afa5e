/**
 * The one error line of PROMSHIP_CLUSTER_ID_IN_USE: a second live instance ships this cluster's
 * labels. Shared by `promship once` and the agent, so both name the two instances the same way.
 */
import type { OtherWriter } from './shipper.ts';

const CLUSTER_ID_IN_USE = 'PROMSHIP_CLUSTER_ID_IN_USE';

export function clusterIdInUseLine(
  clusterId: string,
  instance: string,
  others: readonly OtherWriter[],
): [Record<string, unknown>, string] {
  const names = others.map((o) => (o.host ? `${o.instance} (host ${o.host})` : o.instance)).join(', ');
  return [
    {
      code: CLUSTER_ID_IN_USE,
      cluster: clusterId,
      instance,
      otherInstances: others.map((o) => o.instance),
      evidence: others.map((o) => o.evidence),
    },
    `one writer: another live promship instance ships cluster '${clusterId}': this instance ${instance}, other ${names}; this instance stops shipping. Give each cluster its own cluster id, or stop the extra agent (see docs/one-writer.md)`,
  ];
}
