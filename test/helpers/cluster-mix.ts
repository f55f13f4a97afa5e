/**
 * A generated secondary-cluster mix as OpenMetrics text: what the Prometheus of a kube-prometheus-stack
 * install (chart 88.5.3, its default scrape jobs, metric relabelings and scrape intervals) holds for a
 * managed-control-plane cluster that also runs the Kubecost exporter and some applications. Every
 * component's names, label shapes and series counts are sourced in the comment above it. Deterministic
 * for a given size. Used by the kubecost preset test, bench/relabel.ts and bench/relabel-engine.ts.
 *
 * Not modelled (open): Grafana and prometheus-operator self-metrics (the chart scrapes both by
 * default; no real capture at hand), the config reloaders' endpoints, control-plane targets a
 * managed cluster does not expose (etcd, scheduler, controller-manager), and kube-proxy, whose metrics
 * listen on 127.0.0.1 by default (kubeadm and EKS) so the chart's kube-proxy job only records `up`.
 * The API server is modelled from a capture of a young one-node cluster: a floor (see apiserver()).
 */
import { readFileSync } from 'node:fs';
import { seededRandom } from '../../src/demo/history.ts';

export interface MixOptions {
  nodes: number;
  podsPerNode: number;
  /** First sample, ms; samples every `stepMs` up to (not including) `end`. */
  start: number;
  end: number;
  /** The scrape (and rule evaluation) interval of every job but cAdvisor. */
  stepMs: number;
  /** cAdvisor's interval (kube-prometheus-stack: `kubelet.serviceMonitor.cAdvisorInterval: 10s`); default `stepMs`. */
  cadvisorStepMs?: number;
  /** API server instances; default 2 (see apiserver()). A test that needs each family once passes 1. */
  apiservers?: number;
}

type Labels = Record<string, string>;
interface Family {
  name: string;
  series: Labels[];
  /** Scraped at cAdvisor's interval rather than the default one. */
  cadvisor: boolean;
}
type Emit = (name: string, l: Labels, cadvisor?: boolean) => void;

/** FNV-1a, hex: stable ids (pod UIDs, container ids) that look like the real ones' length. */
function hex(seed: string, chars: number): string {
  let out = '';
  for (let i = 0; out.length < chars; i++) {
    let h = 0x811c9dc5;
    for (const c of `${seed}#${i}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
    out += (h >>> 0).toString(16).padStart(8, '0');
  }
  return out.slice(0, chars);
}
function uid(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function histogram(f: Emit, name: string, l: Labels, les: readonly string[], cadvisor = false): void {
  for (const le of les) f(`${name}_bucket`, { ...l, le }, cadvisor);
  f(`${name}_sum`, l, cadvisor);
  f(`${name}_count`, l, cadvisor);
}
/** Go client bucket layouts the exporters below use. */
const DEF_BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
const exp = (start: number, factor: number, n: number): string[] => [
  ...Array.from({ length: n }, (_, i) => String(+(start * factor ** i).toPrecision(6))),
  '+Inf',
];

/** A captured exposition, one `name{labels}` per line (captures/*.series). */
function capture(file: string): [string, Labels][] {
  const text = readFileSync(new URL(`captures/${file}`, import.meta.url), 'utf8');
  const out: [string, Labels][] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const name = brace < 0 ? line : line.slice(0, brace);
    const labels: Labels = {};
    if (brace >= 0) for (const m of line.slice(brace).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
    out.push([name, labels]);
  }
  return out;
}
let nodeExporterCapture: [string, Labels][] | undefined;
let prometheusCapture: [string, Labels][] | undefined;
let alertmanagerCapture: [string, Labels][] | undefined;

/**
 * node_exporter, one per node. Source: a real scrape of node_exporter 1.5.0 with its default
 * collectors (captures/node-exporter-1.5.0.series: 507 series on a 2-vCPU VM with one disk, one
 * filesystem and eth0), scaled to the node modelled here: per-CPU series (cpu="0": 13) for 8 vCPUs,
 * plus the schedstat collector's 3 per CPU (default-on; that VM's kernel lacks /proc/schedstat);
 * per-disk series (18 + node_disk_info) for 2 NVMe disks; per-filesystem series (7) for the 3 mounts
 * the chart's `--collector.filesystem.*-exclude` flags leave (/, /boot/efi, /run); per-interface
 * series (eth0's 37: netdev + netclass + info) for eth0 and one host-side veth per pod (the chart
 * excludes no network device), lo as captured. Tanmay Bhat, "How to prevent metrics explosion in
 * Prometheus" (tanmay-bhat.github.io): "~977 different metrics per node" by default; here 8 vCPUs and
 * 2 disks give about 1,000 before the per-pod interfaces.
 */
function nodeExporter(f: Emit, node: Node): void {
  nodeExporterCapture ??= capture('node-exporter-1.5.0.series');
  const target = {
    container: 'node-exporter',
    endpoint: 'http-metrics',
    instance: `${node.ip}:9100`,
    job: 'node-exporter',
    namespace: 'monitoring',
    pod: `kube-prometheus-stack-prometheus-node-exporter-${hex(node.name, 5)}`,
    service: 'kube-prometheus-stack-prometheus-node-exporter',
  };
  const mounts = [
    ['/dev/nvme0n1p1', '/', 'xfs'],
    ['/dev/nvme0n1p128', '/boot/efi', 'vfat'],
    ['tmpfs', '/run', 'tmpfs'],
  ];
  const ifaces = ['eth0', ...node.pods.map((p) => `veth${hex(p.pod, 8)}`)];
  for (const [name, labels] of nodeExporterCapture) {
    const l: Labels = { ...labels, ...target };
    if (labels.nodename !== undefined) l.nodename = node.name;
    if (labels.cpu !== undefined) {
      if (labels.cpu !== '0') continue;
      for (let cpu = 0; cpu < 8; cpu++) f(name, { ...l, cpu: String(cpu) });
    } else if (name.startsWith('node_disk_')) {
      if (labels.device !== 'vda') continue;
      for (const device of ['nvme0n1', 'nvme1n1']) f(name, { ...l, device });
    } else if (name.startsWith('node_filesystem_')) {
      for (const [device, mountpoint, fstype] of mounts)
        f(name, { ...l, device: device!, mountpoint: mountpoint!, fstype: fstype! });
    } else if (name.startsWith('node_network_') && labels.device !== undefined) {
      if (labels.device === 'lo') f(name, l);
      else if (labels.device === 'eth0') for (const device of ifaces) f(name, { ...l, device });
    } else f(name, l);
  }
  for (let cpu = 0; cpu < 8; cpu++)
    for (const m of ['running_seconds_total', 'timeslices_total', 'waiting_seconds_total'])
      f(`node_schedstat_${m}`, { ...target, cpu: String(cpu) });
}

/**
 * cAdvisor as the kubelet serves it at /metrics/cadvisor, after the chart's cAdvisorMetricRelabelings.
 * Sources: the kubelet's cAdvisor metric sets (kubernetes pkg/kubelet/server/server.go: CPU, memory,
 * CPU load, disk I/O, disk usage, network, app, process, OOM; no per-CPU, TCP/UDP or hugetlb); the
 * chart's drops (container_spec_*, container_cpu_{user,system,cfs_throttled_seconds,load_average_10s},
 * container_fs_{io_*,*_merged,sector_*}, container_memory_{mapped_file,swap}, container_{file_descriptors,
 * tasks_state,threads_max}, failures with scope="hierarchy", CNI interfaces, and every cgroup with no pod);
 * and a published count-by-name of one namespace of a kube-prometheus-stack cluster (cgroup v2,
 * containerd; 9 single-container pods): 27 series per name for the per-cgroup names (3 cgroups per
 * pod: the pod's own, the pause sandbox's, the container's; network on each), 18 for CFS (container +
 * pod cgroup) and ulimits (container + sandbox), 54 for memory failures, 19 per fs I/O name, 38 for
 * blkio. So per pod: its containers, the sandbox and the pod cgroup.
 */
const CADVISOR_PER_CGROUP = [
  'container_cpu_load_d_average_10s',
  'container_cpu_usage_seconds_total',
  'container_last_seen',
  'container_memory_cache',
  'container_memory_failcnt',
  'container_memory_kernel_usage',
  'container_memory_max_usage_bytes',
  'container_memory_rss',
  'container_memory_total_active_file_bytes',
  'container_memory_total_inactive_file_bytes',
  'container_memory_usage_bytes',
  'container_memory_working_set_bytes',
  'container_oom_events_total',
  'container_pressure_cpu_stalled_seconds_total',
  'container_pressure_cpu_waiting_seconds_total',
  'container_pressure_io_stalled_seconds_total',
  'container_pressure_io_waiting_seconds_total',
  'container_pressure_memory_stalled_seconds_total',
  'container_pressure_memory_waiting_seconds_total',
  'container_processes',
  'container_sockets',
  'container_start_time_seconds',
  'container_threads',
];
const CADVISOR_NETWORK = [
  'receive_bytes_total',
  'receive_errors_total',
  'receive_packets_dropped_total',
  'receive_packets_total',
  'transmit_bytes_total',
  'transmit_errors_total',
  'transmit_packets_dropped_total',
  'transmit_packets_total',
];

function cadvisor(f: Emit, node: Node, pod: Pod): void {
  const target = {
    endpoint: 'https-metrics',
    instance: `${node.ip}:10250`,
    job: 'kubelet',
    metrics_path: '/metrics/cadvisor',
    node: node.name,
    service: 'kube-prometheus-stack-kubelet',
  };
  const slice = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${pod.uid.replace(/-/g, '_')}.slice`;
  const sandbox = hex(`${pod.pod}/sandbox`, 64);
  type Cgroup = Labels & { kind: 'pod' | 'sandbox' | 'container' };
  const cgroups: Cgroup[] = [
    { kind: 'pod', id: slice, namespace: pod.ns, pod: pod.pod },
    {
      kind: 'sandbox',
      id: `${slice}/cri-containerd-${sandbox}.scope`,
      image: 'registry.k8s.io/pause:3.9',
      name: sandbox,
      namespace: pod.ns,
      pod: pod.pod,
    },
    ...pod.containers.map((container): Cgroup => {
      const cid = hex(`${pod.pod}/${container}`, 64);
      return {
        kind: 'container',
        container,
        id: `${slice}/cri-containerd-${cid}.scope`,
        image: `registry.example.com/${pod.app}/${container}:1.4.2`,
        name: cid,
        namespace: pod.ns,
        pod: pod.pod,
      };
    }),
  ];
  for (const { kind, ...cg } of cgroups) {
    const l = { ...cg, ...target };
    for (const m of CADVISOR_PER_CGROUP) f(m, l, true);
    for (const m of CADVISOR_NETWORK) f(`container_network_${m}`, { ...l, interface: 'eth0' }, true);
    for (const failure_type of ['pgfault', 'pgmajfault'])
      f('container_memory_failures_total', { ...l, failure_type, scope: 'container' }, true);
    if (kind !== 'pod') f('container_ulimits_soft', { ...l, ulimit: 'max_open_files' }, true);
    if (kind !== 'sandbox') {
      f('container_cpu_cfs_periods_total', l, true);
      f('container_cpu_cfs_throttled_periods_total', l, true);
      for (const m of ['reads_bytes_total', 'reads_total', 'writes_bytes_total', 'writes_total'])
        f(`container_fs_${m}`, { ...l, device: '/dev/nvme0n1' }, true);
      for (const operation of ['Read', 'Write'])
        f(
          'container_blkio_device_usage_total',
          { ...l, device: '/dev/nvme0n1', major: '259', minor: '0', operation },
          true,
        );
    }
  }
}

/** go_* and process_* of a Go target, as node_exporter 1.5.0 exposes them (the same client library). */
function goRuntime(f: Emit, target: Labels): void {
  nodeExporterCapture ??= capture('node-exporter-1.5.0.series');
  for (const [name, labels] of nodeExporterCapture)
    if (name.startsWith('go_') || name.startsWith('process_')) f(name, { ...labels, ...target });
}

/**
 * The kubelet's own /metrics and /metrics/probes (both scraped by the chart), one per node. Names,
 * labels and bucket layouts from the Kubernetes Metrics Reference (kubernetes.io/docs/reference/
 * instrumentation/metrics/) and the kubelet's metric definitions (pkg/kubelet/metrics: runtime
 * operations ExponentialBuckets(.005, 2.5, 14); pod worker, PLEG and cgroup manager DefBuckets);
 * client-go's rest_client_* layouts as in a kubelet dump quoted in kubernetes-sigs/kwok#199; the
 * chart's drop of six storage_operation_duration_seconds buckets. The published count-by-name above
 * has 12 buckets per probe-duration series and 28 kubelet_http_requests_duration_seconds series over
 * its 5 nodes. The number of operation types, volume plugins and paths below is a small real cluster's
 * order of magnitude, not a count.
 */
function kubelet(f: Emit, node: Node): void {
  const t = {
    endpoint: 'https-metrics',
    instance: `${node.ip}:10250`,
    job: 'kubelet',
    metrics_path: '/metrics',
    namespace: 'kube-system',
    node: node.name,
    service: 'kube-prometheus-stack-kubelet',
  };
  const ops = [
    'container_status',
    'create_container',
    'exec_sync',
    'image_fs_info',
    'image_status',
    'list_containers',
    'list_images',
    'list_podsandbox',
    'list_podsandbox_stats',
    'podsandbox_status',
    'pull_image',
    'remove_container',
    'run_podsandbox',
    'start_container',
    'status',
    'stop_container',
    'stop_podsandbox',
    'remove_podsandbox',
    'version',
    'container_stats',
  ];
  for (const operation_type of ops) {
    histogram(f, 'kubelet_runtime_operations_duration_seconds', { ...t, operation_type }, exp(0.005, 2.5, 14));
    f('kubelet_runtime_operations_total', { ...t, operation_type });
  }
  for (const operation_type of ['create', 'sync', 'update'])
    histogram(f, 'kubelet_pod_worker_duration_seconds', { ...t, operation_type }, DEF_BUCKETS);
  for (const name of [
    'kubelet_pleg_relist_duration_seconds',
    'kubelet_pleg_relist_interval_seconds',
    'kubelet_pod_worker_start_duration_seconds',
    'kubelet_pod_status_sync_duration_seconds',
  ])
    histogram(f, name, t, DEF_BUCKETS);
  const startBuckets = [
    '0.5',
    '1',
    '2',
    '3',
    '4',
    '5',
    '6',
    '8',
    '10',
    '20',
    '30',
    '45',
    '60',
    '120',
    '180',
    '240',
    '300',
    '360',
    '480',
    '600',
    '900',
    '1200',
    '1800',
    '2700',
    '3600',
    '+Inf',
  ];
  histogram(f, 'kubelet_pod_start_duration_seconds', t, startBuckets);
  histogram(f, 'kubelet_pod_start_sli_duration_seconds', t, startBuckets);
  for (const operation_type of ['create', 'destroy', 'update'])
    histogram(f, 'kubelet_cgroup_manager_duration_seconds', { ...t, operation_type }, DEF_BUCKETS);
  for (const [method, path] of [
    ['GET', 'metrics'],
    ['GET', 'metrics/cadvisor'],
    ['GET', 'metrics/probes'],
    ['GET', 'pods'],
    ['GET', 'stats'],
    ['GET', 'containerLogs'],
  ]) {
    const l = { ...t, long_running: 'false', method: method!, path: path!, server_type: 'readwrite' };
    histogram(f, 'kubelet_http_requests_duration_seconds', l, DEF_BUCKETS);
    f('kubelet_http_requests_total', l);
    f('kubelet_http_inflight_requests', l);
  }
  // storage_operation_duration_seconds: buckets .1 .25 .5 1 2.5 5 10 15 25 50 120 300 600; the chart drops six.
  for (const [volume_plugin, operation_name] of [
    ['kubernetes.io/configmap', 'volume_mount'],
    ['kubernetes.io/configmap', 'volume_unmount'],
    ['kubernetes.io/secret', 'volume_mount'],
    ['kubernetes.io/secret', 'volume_unmount'],
    ['kubernetes.io/projected', 'volume_mount'],
    ['kubernetes.io/projected', 'volume_unmount'],
    ['kubernetes.io/empty-dir', 'volume_mount'],
    ['kubernetes.io/empty-dir', 'volume_unmount'],
    ['kubernetes.io/csi:ebs.csi.aws.com', 'volume_mount'],
    ['kubernetes.io/csi:ebs.csi.aws.com', 'mount_device'],
    ['kubernetes.io/csi:ebs.csi.aws.com', 'verify_controller_attached_volume'],
    ['kubernetes.io/csi:ebs.csi.aws.com', 'unmount_device'],
  ]) {
    const l = {
      ...t,
      migrated: 'false',
      operation_name: operation_name!,
      status: 'success',
      volume_plugin: volume_plugin!,
    };
    histogram(f, 'storage_operation_duration_seconds', l, ['0.1', '0.5', '1', '5', '10', '50', '300', '+Inf']);
  }
  const host = '10.100.0.1:443';
  for (const verb of ['DELETE', 'GET', 'PATCH', 'POST', 'PUT']) {
    const lat = ['0.005', '0.025', '0.1', '0.25', '0.5', '1', '2', '4', '8', '15', '30', '60', '+Inf'];
    const size = [
      '64',
      '256',
      '512',
      '1024',
      '4096',
      '16384',
      '65536',
      '262144',
      '1.048576e+06',
      '4.194304e+06',
      '1.6777216e+07',
      '+Inf',
    ];
    histogram(f, 'rest_client_request_duration_seconds', { ...t, host, verb }, lat);
    histogram(f, 'rest_client_rate_limiter_duration_seconds', { ...t, host, verb }, lat);
    histogram(f, 'rest_client_request_size_bytes', { ...t, host, verb }, size);
    histogram(f, 'rest_client_response_size_bytes', { ...t, host, verb }, size);
    f('rest_client_requests_total', { ...t, code: verb === 'POST' ? '201' : '200', host, method: verb });
  }
  histogram(f, 'apiserver_client_certificate_expiration_seconds', t, [
    '0',
    '1800',
    '3600',
    '7200',
    '21600',
    '43200',
    '86400',
    '172800',
    '345600',
    '604800',
    '2.592e+06',
    '7.776e+06',
    '1.5552e+07',
    '3.1104e+07',
    '+Inf',
  ]);
  for (const state of ['created', 'exited', 'running', 'unknown'])
    f('kubelet_running_containers', { ...t, container_state: state });
  for (const m of [
    'kubelet_running_pods',
    'kubelet_node_name',
    'kubelet_certificate_manager_client_ttl_seconds',
    'kubelet_certificate_manager_client_expiration_renew_errors',
    'kubelet_started_pods_total',
    'kubelet_started_pods_errors_total',
    'kubelet_pleg_last_seen_seconds',
    'kubelet_pleg_discard_events',
    'kubelet_evented_pleg_connection_success_count',
    'kubelet_managed_ephemeral_containers',
    'kubelet_orphan_pod_cleaned_volumes',
    'kubelet_restarted_pods_total',
    'kubelet_pod_resources_endpoint_requests_total',
    'kubelet_graceful_shutdown_start_time_seconds',
    'kubelet_graceful_shutdown_end_time_seconds',
    'kubelet_lifecycle_handler_http_fallbacks_total',
    'kubelet_image_garbage_collected_total',
    'kubernetes_build_info',
  ])
    f(m, t);
  for (const container_type of ['container', 'init_container'])
    f('kubelet_started_containers_total', { ...t, container_type });
  for (const [plugin_name, state] of [
    ['kubernetes.io/configmap', 'actual_state_of_world'],
    ['kubernetes.io/configmap', 'desired_state_of_world'],
    ['kubernetes.io/secret', 'actual_state_of_world'],
    ['kubernetes.io/secret', 'desired_state_of_world'],
    ['kubernetes.io/projected', 'actual_state_of_world'],
    ['kubernetes.io/projected', 'desired_state_of_world'],
    ['kubernetes.io/empty-dir', 'actual_state_of_world'],
    ['kubernetes.io/empty-dir', 'desired_state_of_world'],
  ])
    f('volume_manager_total_volumes', { ...t, plugin_name: plugin_name!, state: state! });
  goRuntime(f, t);
  for (const pod of node.pods) {
    for (const container of pod.containers)
      f('kubelet_container_log_filesystem_used_bytes', {
        ...t,
        container,
        namespace: pod.ns,
        pod: pod.pod,
        uid: pod.uid,
      });
    // /metrics/probes: the main container has a readiness and a liveness probe.
    const probes = {
      ...t,
      container: pod.containers[0]!,
      metrics_path: '/metrics/probes',
      namespace: pod.ns,
      pod: pod.pod,
    };
    for (const probe_type of ['Liveness', 'Readiness']) {
      f('prober_probe_total', { ...probes, pod_uid: pod.uid, probe_type, result: 'successful' });
      histogram(f, 'prober_probe_duration_seconds', { ...probes, probe_type }, DEF_BUCKETS);
    }
  }
  for (const pvc of node.pvcs)
    for (const m of [
      'available_bytes',
      'capacity_bytes',
      'used_bytes',
      'inodes',
      'inodes_free',
      'inodes_used',
      'health_status_abnormal',
    ])
      f(`kubelet_volume_stats_${m}`, { ...t, namespace: pvc.ns, persistentvolumeclaim: pvc.name });
}

/**
 * kube-state-metrics (v2, the chart's default collectors, no label or annotation allowlist, so no
 * kube_*_labels / kube_*_annotations series). Per pod and per container: the published count-by-name
 * above (per single-container pod: phase 5, status_reason 5, ready 3, scheduled 3, qos_class 3,
 * tolerations 2, requests and limits 2 each per container, and one each for the rest). Per workload
 * the same listing: a Deployment 21 series (status_condition 6), a ReplicaSet 9, a Service 3, an
 * EndpointSlice 4, a ConfigMap 3, a Secret 5. Per node: kube_node_* as kube-state-metrics' node
 * metric docs list them (conditions 5 × 3 statuses; capacity and allocatable per resource).
 */
function ksmTarget(): Labels {
  return {
    container: 'kube-state-metrics',
    endpoint: 'http',
    instance: '10.0.0.5:8080',
    job: 'kube-state-metrics',
    namespace: 'monitoring',
    pod: 'kube-prometheus-stack-kube-state-metrics-6d9f8c7b5-x2k4q',
    service: 'kube-prometheus-stack-kube-state-metrics',
  };
}
function ksmPod(f: Emit, node: Node, pod: Pod): void {
  const t = ksmTarget();
  const base = { ...t, namespace: pod.ns, pod: pod.pod, uid: pod.uid };
  f('kube_pod_info', {
    ...base,
    created_by_kind: 'ReplicaSet',
    created_by_name: pod.replicaset,
    host_ip: node.ip,
    host_network: 'false',
    node: node.name,
    pod_ip: pod.ip,
    priority_class: '',
  });
  f('kube_pod_ips', { ...base, ip: pod.ip, ip_family: '4' });
  f('kube_pod_owner', { ...base, owner_is_controller: 'true', owner_kind: 'ReplicaSet', owner_name: pod.replicaset });
  for (const m of [
    'created',
    'start_time',
    'restart_policy',
    'status_ready_time',
    'status_initialized_time',
    'status_container_ready_time',
    'status_scheduled_time',
    'service_account',
    'scheduler',
  ])
    f(`kube_pod_${m}`, base);
  for (const phase of ['Failed', 'Pending', 'Running', 'Succeeded', 'Unknown'])
    f('kube_pod_status_phase', { ...base, phase });
  for (const reason of ['Evicted', 'NodeAffinity', 'NodeLost', 'Shutdown', 'UnexpectedAdmissionError'])
    f('kube_pod_status_reason', { ...base, reason });
  for (const condition of ['false', 'true', 'unknown']) {
    f('kube_pod_status_ready', { ...base, condition });
    f('kube_pod_status_scheduled', { ...base, condition });
  }
  for (const qos_class of ['BestEffort', 'Burstable', 'Guaranteed'])
    f('kube_pod_status_qos_class', { ...base, qos_class });
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'])
    f('kube_pod_tolerations', { ...base, effect: 'NoExecute', key, operator: 'Exists', toleration_seconds: '300' });
  for (const container of pod.containers) {
    const c = { ...base, container };
    f('kube_pod_container_info', {
      ...c,
      container_id: `containerd://${hex(`${pod.pod}/${container}`, 64)}`,
      image: `registry.example.com/${pod.app}/${container}:1.4.2`,
      image_id: `registry.example.com/${pod.app}/${container}@sha256:${hex(`${pod.app}/${container}`, 64)}`,
      image_spec: `registry.example.com/${pod.app}/${container}:1.4.2`,
    });
    for (const m of [
      'state_started',
      'status_ready',
      'status_restarts_total',
      'status_running',
      'status_terminated',
      'status_waiting',
    ])
      f(`kube_pod_container_${m}`, c);
    for (const [resource, unit] of [
      ['cpu', 'core'],
      ['memory', 'byte'],
    ]) {
      f('kube_pod_container_resource_requests', { ...c, node: node.name, resource: resource!, unit: unit! });
      f('kube_pod_container_resource_limits', { ...c, node: node.name, resource: resource!, unit: unit! });
    }
  }
}
function ksmNode(f: Emit, node: Node): void {
  const base = { ...ksmTarget(), node: node.name };
  f('kube_node_info', {
    ...base,
    container_runtime_version: 'containerd://1.7.22',
    internal_ip: node.ip,
    kernel_version: '6.1.112-124.190.amzn2023.x86_64',
    kubelet_version: 'v1.31.2-eks-94953ac',
    os_image: 'Amazon Linux 2023.6.20241031',
    provider_id: `aws:///eu-west-1a/i-${hex(node.name, 17)}`,
    system_uuid: uid(`${node.name}/system`),
  });
  for (const m of ['created', 'spec_unschedulable']) f(`kube_node_${m}`, base);
  for (const condition of ['DiskPressure', 'MemoryPressure', 'NetworkUnavailable', 'PIDPressure', 'Ready'])
    for (const status of ['false', 'true', 'unknown']) f('kube_node_status_condition', { ...base, condition, status });
  for (const [resource, unit] of [
    ['cpu', 'core'],
    ['ephemeral_storage', 'byte'],
    ['hugepages_1Gi', 'byte'],
    ['hugepages_2Mi', 'byte'],
    ['memory', 'byte'],
    ['pods', 'integer'],
  ]) {
    f('kube_node_status_capacity', { ...base, resource: resource!, unit: unit! });
    f('kube_node_status_allocatable', { ...base, resource: resource!, unit: unit! });
  }
}
function ksmWorkload(f: Emit, ns: string, app: string, replicasets: string[]): void {
  const t = ksmTarget();
  const d = { ...t, deployment: app, namespace: ns };
  for (const m of [
    'created',
    'metadata_generation',
    'spec_paused',
    'spec_replicas',
    'spec_strategy_rollingupdate_max_surge',
    'spec_strategy_rollingupdate_max_unavailable',
    'status_observed_generation',
    'status_replicas',
    'status_replicas_available',
    'status_replicas_ready',
    'status_replicas_unavailable',
    'status_replicas_updated',
    'status_terminating_replicas',
  ])
    f(`kube_deployment_${m}`, d);
  f('kube_deployment_owner', { ...d, owner_is_controller: '', owner_kind: '', owner_name: '' });
  for (const condition of ['Available', 'Progressing'])
    for (const status of ['false', 'true', 'unknown'])
      f('kube_deployment_status_condition', {
        ...d,
        condition,
        reason: condition === 'Available' ? 'MinimumReplicasAvailable' : 'NewReplicaSetAvailable',
        status,
      });
  // ReplicaSets: the current one and the old ones a Deployment keeps (revisionHistoryLimit, default 10).
  for (const replicaset of replicasets) {
    const r = { ...t, namespace: ns, replicaset };
    for (const m of [
      'created',
      'metadata_generation',
      'spec_replicas',
      'status_fully_labeled_replicas',
      'status_observed_generation',
      'status_ready_replicas',
      'status_replicas',
      'status_terminating_replicas',
    ])
      f(`kube_replicaset_${m}`, r);
    f('kube_replicaset_owner', { ...r, owner_is_controller: 'true', owner_kind: 'Deployment', owner_name: app });
  }
  const s = { ...t, namespace: ns, service: app, uid: uid(`${ns}/${app}/svc`) };
  f('kube_service_info', { ...s, cluster_ip: '10.100.12.34', external_name: '', load_balancer_ip: '' });
  f('kube_service_created', s);
  f('kube_service_spec_type', { ...s, type: 'ClusterIP' });
  const e = { ...t, endpointslice: `${app}-${hex(app, 5)}`, namespace: ns };
  for (const m of ['info', 'created']) f(`kube_endpointslice_${m}`, e);
  f('kube_endpointslice_endpoints', {
    ...e,
    address: '10.244.1.7',
    hostname: '',
    ready: 'true',
    serving: 'true',
    terminating: 'false',
    topology_kubernetes_io_zone: 'eu-west-1a',
  });
  f('kube_endpointslice_ports', { ...e, port_name: 'http', port_number: '8080', port_protocol: 'TCP' });
  const cm = { ...t, configmap: `${app}-config`, namespace: ns };
  for (const m of ['info', 'created', 'metadata_resource_version']) f(`kube_configmap_${m}`, cm);
  const sec = { ...t, namespace: ns, secret: `${app}-tls` };
  for (const m of ['info', 'created', 'metadata_resource_version', 'owner']) f(`kube_secret_${m}`, sec);
  f('kube_secret_type', { ...sec, type: 'kubernetes.io/tls' });
}

/**
 * kube-prometheus-stack's default recording rules that fan out per pod or container (the published
 * count-by-name above: node_namespace_pod_container:* 2 per single-container pod, node_namespace_pod:
 * kube_pod_info: and namespace_workload_pod:kube_pod_owner:relabel 1 each, cluster:namespace:pod_*:active:*
 * 4). Recorded series have no job label.
 */
function recordingRules(f: Emit, node: Node, pod: Pod): void {
  const base = { namespace: pod.ns, pod: pod.pod };
  for (const container of [...pod.containers, 'POD']) {
    const c = { ...base, container, node: node.name };
    for (const m of [
      'container_cpu_usage_seconds_total:sum_irate',
      'container_cpu_usage_seconds_total:sum_rate5m',
      'container_memory_working_set_bytes',
      'container_memory_rss',
      'container_memory_cache',
    ])
      f(`node_namespace_pod_container:${m}`, c);
  }
  f('node_namespace_pod:kube_pod_info:', { ...base, node: node.name });
  f('namespace_workload_pod:kube_pod_owner:relabel', { ...base, workload: pod.app, workload_type: 'deployment' });
  for (const m of ['pod_cpu', 'pod_memory'])
    for (const r of ['kube_pod_container_resource_requests', 'kube_pod_container_resource_limits'])
      f(`cluster:namespace:${m}:active:${r}`, base);
}

/**
 * CoreDNS, two replicas (the EKS and kubeadm default), from the metric definitions of CoreDNS' prometheus,
 * cache and forward plugins (coredns.io/plugins/metrics): request duration ExponentialBuckets(0.00025, 2, 16),
 * request and response sizes 0–64k in 14 buckets, per DNS type seen.
 */
function coredns(f: Emit, replica: number): void {
  const t = {
    container: 'coredns',
    endpoint: 'http-metrics',
    instance: `10.244.0.${20 + replica}:9153`,
    job: 'coredns',
    namespace: 'kube-system',
    pod: `coredns-5b8cc885bc-${hex(`coredns${replica}`, 5)}`,
    service: 'kube-prometheus-stack-coredns',
  };
  const z = { ...t, server: 'dns://:53', zone: '.' };
  const sizes = [
    '0',
    '100',
    '200',
    '300',
    '400',
    '511',
    '1023',
    '2047',
    '4095',
    '8291',
    '16000',
    '32000',
    '48000',
    '64000',
    '+Inf',
  ];
  for (const type of ['A', 'AAAA', 'PTR', 'SRV', 'other']) {
    histogram(f, 'coredns_dns_request_duration_seconds', { ...z, type }, exp(0.00025, 2, 16));
    for (const proto of ['tcp', 'udp']) f('coredns_dns_requests_total', { ...z, family: '1', proto, type });
  }
  for (const proto of ['tcp', 'udp']) {
    histogram(f, 'coredns_dns_request_size_bytes', { ...z, proto }, sizes);
    histogram(f, 'coredns_dns_response_size_bytes', { ...z, proto }, sizes);
  }
  for (const rcode of ['NOERROR', 'NXDOMAIN', 'SERVFAIL'])
    f('coredns_dns_responses_total', { ...z, plugin: 'kubernetes', rcode });
  for (const type of ['denial', 'success']) {
    f('coredns_cache_entries', { ...z, type });
    f('coredns_cache_hits_total', { ...z, type });
  }
  f('coredns_cache_misses_total', z);
  for (const rcode of ['NOERROR', 'NXDOMAIN'])
    histogram(f, 'coredns_forward_request_duration_seconds', { ...t, rcode, to: '10.0.0.2:53' }, exp(0.00025, 2, 16));
  for (const name of [
    'cache',
    'errors',
    'forward',
    'health',
    'kubernetes',
    'loadbalance',
    'log',
    'loop',
    'prometheus',
    'ready',
    'reload',
  ])
    f('coredns_plugin_enabled', { ...z, name });
  histogram(f, 'coredns_health_request_duration_seconds', t, exp(0.00025, 2, 16));
  f('coredns_build_info', { ...t, goversion: 'go1.21.11', revision: 'ae2bbc2', version: '1.11.3' });
  goRuntime(f, t);
}

/** A kube-prometheus-stack component's own pod as its ServiceMonitor's `http-web` endpoint labels it. */
function stackTarget(component: 'prometheus' | 'alertmanager', instance: string): Labels {
  const service = `kube-prometheus-stack-${component}`;
  return {
    container: component,
    endpoint: 'http-web',
    instance,
    job: service,
    namespace: 'monitoring',
    pod: `${component}-${service}-0`,
    service,
  };
}

/** Prometheus' self-scrape: a real Prometheus 2.42 /metrics (captures/prometheus-2.42.0.series, 351 series). */
function prometheusSelf(f: Emit): void {
  prometheusCapture ??= capture('prometheus-2.42.0.series');
  const t = stackTarget('prometheus', '10.244.3.9:9090');
  for (const [name, labels] of prometheusCapture) f(name, { ...labels, ...t });
}

/**
 * Alertmanager, scraped by the chart's ServiceMonitor (`alertmanager.enabled` and
 * `alertmanager.serviceMonitor.selfMonitor` both true in chart 88.5.3, one replica, port
 * `http-web`): a real Alertmanager 0.25.0 /metrics (captures/alertmanager-0.25.0.series, 292
 * series, the Debian package with one receiver). The ServiceMonitor's second endpoint, the
 * config reloader (`reloader-web`), is not modelled.
 */
function alertmanager(f: Emit): void {
  alertmanagerCapture ??= capture('alertmanager-0.25.0.series');
  const t = stackTarget('alertmanager', '10.244.3.8:9093');
  scrapeSeries(f, t);
  for (const [name, labels] of alertmanagerCapture) f(name, { ...labels, ...t });
}

interface Pod {
  ns: string;
  app: string;
  replicaset: string;
  pod: string;
  uid: string;
  ip: string;
  containers: string[];
}
interface Node {
  name: string;
  ip: string;
  pods: Pod[];
  pvcs: { ns: string; name: string }[];
}

function app(f: (name: string, l: Labels) => void, ns: string, pod: string): void {
  const base = { job: `${ns}/app`, namespace: ns, pod, instance: `${pod}:8080` };
  for (const handler of ['/api/orders', '/api/users', '/healthz']) {
    for (const method of ['GET', 'POST']) {
      for (const code of ['200', '500']) f('http_requests_total', { ...base, handler, method, code });
      for (const le of ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'])
        f('http_request_duration_seconds_bucket', { ...base, handler, method, le });
      f('http_request_duration_seconds_sum', { ...base, handler, method });
      f('http_request_duration_seconds_count', { ...base, handler, method });
    }
  }
  for (const query of ['select_order', 'insert_order', 'select_user', 'update_user', 'select_item']) {
    for (const le of ['0.001', '0.005', '0.01', '0.05', '0.1', '0.5', '1', '5', '+Inf'])
      f('db_client_query_duration_seconds_bucket', { ...base, query, le });
  }
  for (const m of [
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
    'nodejs_heap_size_used_bytes',
    'nodejs_eventloop_lag_seconds',
    'nodejs_active_handles_total',
  ])
    f(m, base);
}

function kubecost(f: (name: string, l: Labels) => void, node: string, pods: [string, string, string[]][]): void {
  const base = { job: 'kubecost', instance: 'kubecost-cost-analyzer:9003', node };
  for (const m of [
    'node_cpu_hourly_cost',
    'node_ram_hourly_cost',
    'node_total_hourly_cost',
    'node_gpu_hourly_cost',
    'node_gpu_count',
    'kubecost_node_is_spot',
  ])
    f(m, { ...base, instance_type: 'm5.2xlarge', region: 'eu-west-1', provider_id: `aws:///eu-west-1a/i-${node}` });
  for (const [ns, pod, containers] of pods) {
    for (const container of containers) {
      for (const m of ['container_cpu_allocation', 'container_memory_allocation_bytes', 'container_gpu_allocation'])
        f(m, { ...base, namespace: ns, pod, container });
    }
    f('kubecost_pod_network_egress_bytes_total', {
      ...base,
      namespace: ns,
      pod_name: pod,
      internet: 'false',
      same_zone: 'true',
      same_region: 'true',
    });
  }
  // Kept because the whole job is: names outside the list.
  f('kubecost_allocation_data_status', base);
  f('kubecost_http_requests_total', { ...base, path: '/allocation' });
}

/** What Prometheus itself adds for every target it scrapes. */
function scrapeSeries(f: Emit, target: Labels, isUp = true): void {
  f('up', target);
  if (!isUp) return;
  for (const m of [
    'scrape_duration_seconds',
    'scrape_samples_post_metric_relabeling',
    'scrape_samples_scraped',
    'scrape_series_added',
  ])
    f(m, target);
}

/** A family of a derived shape file (captures/*.shape): its label names, how many label sets, its buckets. */
interface ShapeFamily {
  type: string;
  name: string;
  labels: string[];
  sets: number;
  /** `le` of a histogram or `quantile` of a summary. */
  les: string[];
}
interface Shape {
  vocab: Map<string, string[]>;
  families: ShapeFamily[];
}
function shape(file: string): Shape {
  const text = readFileSync(new URL(`captures/${file}`, import.meta.url), 'utf8');
  const vocab = new Map<string, string[]>();
  const families: ShapeFamily[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cols = line.split('\t');
    if (line.startsWith('@')) vocab.set(cols[0]!.slice(1), cols.slice(1));
    else
      families.push({
        type: cols[0]!,
        name: cols[1]!,
        labels: cols[2] === '-' ? [] : cols[2]!.split(','),
        sets: Number(cols[3]),
        les: cols[4]?.split(',') ?? [],
      });
  }
  return { vocab, families };
}
/**
 * The `i`th label set of a family: `i` written in mixed radix over the value sets of its labels
 * (the largest set varies fastest), so the sets are distinct and every value is one the label
 * really takes; which value goes with which in the capture is not kept.
 */
function shapeLabels(s: Shape, fam: ShapeFamily, i: number): Labels {
  const l: Labels = {};
  const order = [...fam.labels].sort((a, b) => s.vocab.get(b)!.length - s.vocab.get(a)!.length || (a < b ? -1 : 1));
  let rest = i;
  for (const name of order) {
    const values = s.vocab.get(name)!;
    l[name] = values[rest % values.length]!;
    rest = Math.floor(rest / values.length);
  }
  return l;
}
let apiserverShape: Shape | undefined;

/**
 * kube-prometheus-stack's kubeApiServer.serviceMonitor.metricRelabelings (chart 88.5.3 values.yaml),
 * the one rule, verbatim: drop on `__name__;le`, the regex anchored as Prometheus anchors it.
 */
const APISERVER_DROP =
  /^(?:(etcd_request|apiserver_request_slo|apiserver_request_sli|apiserver_request)_duration_seconds_bucket;(0\.15|0\.2|0\.3|0\.35|0\.4|0\.45|0\.6|0\.7|0\.8|0\.9|1\.25|1\.5|1\.75|2|3|3\.5|4|4\.5|6|7|8|9|15|20|40|45|50)(\.0)?)$/;

/**
 * The API server, scraped by the chart's `apiserver` job (kubeApiServer.enabled, the `kubernetes`
 * Service's endpoints in `default`, port https), two instances: "at least two API server instances"
 * (Amazon EKS user guide, "Amazon EKS architecture"), the cluster modelled here being an EKS one.
 * Each instance exposes what a real kube-apiserver v1.31.0 did (captures/kube-apiserver-1.31.0.shape,
 * derived from a 22,076-series capture: every family with its label names, label-set count and
 * bucket layout), less the chart's bucket drop above (7,280 series), so 14,796 per instance. The
 * capture is of a one-node cluster two minutes old: a long-running cluster, with the chart's own
 * CRDs and more clients, has more resource, verb and client combinations, so this is a floor.
 */
function apiserver(f: Emit, instances: number): void {
  const s = (apiserverShape ??= shape('kube-apiserver-1.31.0.shape'));
  for (let r = 0; r < instances; r++) {
    const t = {
      endpoint: 'https',
      instance: `10.0.0.${10 + r}:443`,
      job: 'apiserver',
      namespace: 'default',
      service: 'kubernetes',
    };
    scrapeSeries(f, t);
    const emit = (name: string, l: Labels): void => {
      if (!APISERVER_DROP.test(`${name};${l.le ?? ''}`)) f(name, { ...l, ...t });
    };
    for (const fam of s.families) {
      for (let i = 0; i < fam.sets; i++) {
        const l = shapeLabels(s, fam, i);
        if (fam.type === 'histogram' || fam.type === 'summary') {
          for (const b of fam.les)
            if (fam.type === 'histogram') emit(`${fam.name}_bucket`, { ...l, le: b });
            else emit(fam.name, { ...l, quantile: b });
          emit(`${fam.name}_sum`, l);
          emit(`${fam.name}_count`, l);
        } else emit(fam.name, l);
      }
    }
  }
}

/** Every series of the mix, family by family (OpenMetrics wants a family's samples together). */
export function mixFamilies(opts: Pick<MixOptions, 'nodes' | 'podsPerNode' | 'apiservers'>): Family[] {
  const families = new Map<string, Family>();
  const f: Emit = (name, l, cadvisor = false) => {
    let family = families.get(name);
    if (!family) families.set(name, (family = { name, series: [], cadvisor }));
    family.series.push(l);
  };
  const namespaces = ['payments', 'search', 'checkout', 'kube-system', 'monitoring'];
  const nodes: Node[] = [];
  for (let n = 0; n < opts.nodes; n++) {
    const name = `ip-10-0-${Math.floor(n / 250)}-${n % 250}.eu-west-1.compute.internal`;
    const node: Node = { name, ip: `10.0.${Math.floor(n / 250)}.${n % 250}`, pods: [], pvcs: [] };
    for (let p = 0; p < opts.podsPerNode; p++) {
      const ns = namespaces[(n + p) % namespaces.length]!;
      const app = `svc${p % 17}`;
      const pod = `${app}-7d9f8c6b5-${(n * 1000 + p).toString(36)}`;
      node.pods.push({
        ns,
        app,
        replicaset: `${app}-7d9f8c6b5`,
        pod,
        uid: uid(pod),
        ip: `10.244.${n % 250}.${p + 2}`,
        containers: ['main', 'sidecar'],
      });
    }
    // Two persistent volume claims mounted per node (stateful workloads).
    for (let v = 0; v < 2; v++) node.pvcs.push({ ns: namespaces[(n + v) % 3]!, name: `data-db-${n}-${v}` });
    nodes.push(node);
  }
  for (const node of nodes) {
    nodeExporter(f, node);
    scrapeSeries(f, {
      container: 'node-exporter',
      endpoint: 'http-metrics',
      instance: `${node.ip}:9100`,
      job: 'node-exporter',
      namespace: 'monitoring',
      service: 'kube-prometheus-stack-prometheus-node-exporter',
    });
    for (const metrics_path of ['/metrics', '/metrics/cadvisor', '/metrics/probes'])
      scrapeSeries(f, {
        endpoint: 'https-metrics',
        instance: `${node.ip}:10250`,
        job: 'kubelet',
        metrics_path,
        namespace: 'kube-system',
        node: node.name,
        service: 'kube-prometheus-stack-kubelet',
      });
    // kube-proxy's metrics listen on 127.0.0.1: the job's target is down.
    scrapeSeries(
      f,
      {
        endpoint: 'http-metrics',
        instance: `${node.ip}:10249`,
        job: 'kube-proxy',
        namespace: 'kube-system',
        service: 'kube-prometheus-stack-kube-proxy',
      },
      false,
    );
    kubelet(f, node);
    ksmNode(f, node);
    for (const pod of node.pods) {
      cadvisor(f, node, pod);
      ksmPod(f, node, pod);
      recordingRules(f, node, pod);
      if (pod.ns !== 'kube-system' && pod.ns !== 'monitoring') {
        app(f, pod.ns, pod.pod);
        scrapeSeries(f, { job: `${pod.ns}/app`, namespace: pod.ns, pod: pod.pod, instance: `${pod.pod}:8080` });
      }
    }
    kubecost(
      f,
      node.name,
      node.pods.map((p) => [p.ns, p.pod, p.containers]),
    );
  }
  const workloads = new Set<string>();
  for (const node of nodes) for (const pod of node.pods) workloads.add(`${pod.ns}/${pod.app}`);
  for (const w of [...workloads].sort()) {
    const [ns, app] = w.split('/') as [string, string];
    ksmWorkload(f, ns, app, [`${app}-7d9f8c6b5`]);
  }
  for (const ns of namespaces) {
    const l = { ...ksmTarget(), namespace: ns };
    f('kube_namespace_created', l);
    for (const phase of ['Active', 'Terminating']) f('kube_namespace_status_phase', { ...l, phase });
  }
  scrapeSeries(f, ksmTarget());
  for (let r = 0; r < 2; r++) coredns(f, r);
  for (let r = 0; r < 2; r++)
    scrapeSeries(f, {
      container: 'coredns',
      endpoint: 'http-metrics',
      instance: `10.244.0.${20 + r}:9153`,
      job: 'coredns',
      namespace: 'kube-system',
      service: 'kube-prometheus-stack-coredns',
    });
  prometheusSelf(f);
  scrapeSeries(f, {
    container: 'prometheus',
    endpoint: 'http-web',
    instance: '10.244.3.9:9090',
    job: 'kube-prometheus-stack-prometheus',
    namespace: 'monitoring',
    service: 'kube-prometheus-stack-prometheus',
  });
  scrapeSeries(f, { job: 'kubecost', instance: 'kubecost-cost-analyzer:9003' });
  apiserver(f, opts.apiservers ?? 2);
  alertmanager(f);
  return [...families.values()];
}

function escape(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * How a series' value moves: counters grow by a per-series rate with noise; state, info, spec and
 * price series stay constant (a scrape of them repeats the same value); the other gauges wander.
 * XOR chunks cost far less for a constant than for a noisy value, so this decides most of the bytes.
 */
function valueKind(name: string): 'counter' | 'constant' | 'gauge' {
  if (/(_total|_count|_sum|_bucket|_seconds_total)$/.test(name)) return 'counter';
  if (
    /^kube_|_info$|^up$|_created$|_start_time|_spec_|_limit|_capacity|_enabled$|_hourly_cost$|_cost$|_is_spot$|_gpu_count$|^kubelet_node_name$|_labels$|^kubernetes_build_info$|_ulimits_soft$|_mtu_bytes$|_speed_bytes$|_size_bytes$|_files$|_flags$|_iface_|_address_assign_type$|_device_id$|_protocol_type$|_dormant$|_carrier$|_net_dev_group$|_name_assign_type$|_transmit_queue_length$|_MemTotal_bytes$|_boot_time_seconds$|^node_network_up$/.test(
      name,
    )
  )
    return 'constant';
  return 'gauge';
}

/** The mix as OpenMetrics text, for `promtool tsdb create-blocks-from openmetrics`. */
export function* clusterMixOpenMetrics(opts: MixOptions): Generator<string> {
  const rand = seededRandom(42);
  for (const { name, series, cadvisor } of mixFamilies(opts)) {
    yield `# TYPE ${name} gauge\n`;
    const step = cadvisor ? (opts.cadvisorStepMs ?? opts.stepMs) : opts.stepMs;
    const kind = valueKind(name);
    for (const labels of series) {
      const l = Object.entries(labels)
        .filter(([, v]) => v !== '')
        .map(([k, v]) => `${k}="${escape(v)}"`)
        .join(',');
      let v = Math.floor(rand() * 1000);
      const rate = rand() < 0.3 ? 0 : Math.floor(rand() * 50);
      const lines: string[] = [];
      for (let ts = opts.start; ts < opts.end; ts += step) {
        if (kind === 'counter') v += rate === 0 ? 0 : rate + Math.floor(rand() * rate);
        else if (kind === 'gauge') v = Math.max(0, v + Math.floor(rand() * 21) - 10);
        lines.push(`${name}{${l}} ${v} ${ts / 1000}\n`);
      }
      yield lines.join('');
    }
  }
  yield '# EOF\n';
}

/** The number of series of the mix. */
export function mixSeriesCount(opts: Pick<MixOptions, 'nodes' | 'podsPerNode' | 'apiservers'>): number {
  return mixFamilies(opts).reduce((n, f) => n + f.series.length, 0);
}
