/**
 * Checks rendered objects against the Kubernetes OpenAPI schemas shipped by `kubernetes-models`
 * (and the prometheus-operator CRD schemas): required fields, types, enums and formats. A kind
 * without a schema here is an error, so a new template cannot slip through unchecked.
 */
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { K8sObject } from './helm.ts';

type Validator = (obj: K8sObject) => void;

// The models' constructors take their own typed shapes; a rendered object is checked at run time.
const validators: Record<string, Validator> = {
  'apps/v1/Deployment': (o) => new Deployment(o).validate(),
  'v1/Service': (o) => new Service(o).validate(),
  'v1/ServiceAccount': (o) => new ServiceAccount(o).validate(),
  'v1/Secret': (o) => new Secret(o).validate(),
  'networking.k8s.io/v1/NetworkPolicy': (o) => new NetworkPolicy(o).validate(),
  'monitoring.coreos.com/v1/ServiceMonitor': (o) => new ServiceMonitor(o as never).validate(),
  'monitoring.coreos.com/v1/PrometheusRule': (o) => new PrometheusRule(o as never).validate(),
  'v1/ConfigMap': (o) => new ConfigMap(o).validate(),
};

/** Throws with the object's kind/name and the schema's complaint. */
export function validateK8sObject(obj: K8sObject): void {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const validate = validators[key];
  if (!validate)
    throw new Error(`no Kubernetes schema for ${key} (${obj.metadata.name}); add one to test/helpers/k8s-schemas.ts`);
  try {
    validate(obj);
  } catch (err) {
    throw new Error(`${key} ${obj.metadata.name} does not validate: ${(err as Error).message}`, { cause: err });
  }
}
