/**
 * A generated, realistic secondary-cluster mix as OpenMetrics text: node-exporter, cAdvisor (kubelet),
 * kube-state-metrics, the Kubecost exporter and application series, with the real metric names
 * and label shapes of each. Deterministic for a given size. Used by the kubecost preset test and
 * bench/relabel.ts.
 */
import { seededRandom } from '../../src/demo/history.ts';

export interface MixOptions {
  nodes: number;
  podsPerNode: number;
  /** First sample, ms; samples every `stepMs` up to (not including) `end`. */
  start: number;
  end: number;
  stepMs: number;
}

type Labels = Record<string, string>;
interface Family {
  name: string;
  series: Labels[];
}

const CPU_MODES = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
const NODE_MEMORY = [
  'MemTotal',
  'MemFree',
  'MemAvailable',
  'Buffers',
  'Cached',
  'SwapTotal',
  'SwapFree',
  'Active',
  'Inactive',
  'Dirty',
  'Slab',
  'Shmem',
  'Mapped',
  'PageTables',
  'Committed_AS',
  'HugePages_Total',
];
const MOUNTS = [
  ['/dev/nvme0n1p1', '/', 'ext4'],
  ['tmpfs', '/run', 'tmpfs'],
  ['/dev/nvme1n1', '/var/lib/kubelet', 'ext4'],
  ['shm', '/dev/shm', 'tmpfs'],
];
const NET_DEVS = ['eth0', 'lo', 'cni0', 'flannel.1'];
const DISKS = ['nvme0n1', 'nvme1n1'];

function nodeExporter(f: (name: string, l: Labels) => void, node: string): void {
  const base = { job: 'node-exporter', instance: `${node}:9100`, node };
  for (let cpu = 0; cpu < 8; cpu++)
    for (const mode of CPU_MODES) f('node_cpu_seconds_total', { ...base, cpu: String(cpu), mode });
  for (const m of NODE_MEMORY) f(`node_memory_${m}_bytes`, base);
  for (const [device, mountpoint, fstype] of MOUNTS) {
    for (const m of ['avail_bytes', 'free_bytes', 'size_bytes', 'files', 'files_free', 'readonly', 'device_error'])
      f(`node_filesystem_${m}`, { ...base, device: device!, mountpoint: mountpoint!, fstype: fstype! });
  }
  for (const device of NET_DEVS) {
    for (const m of [
      'receive_bytes_total',
      'transmit_bytes_total',
      'receive_packets_total',
      'transmit_packets_total',
      'receive_errs_total',
      'transmit_errs_total',
      'receive_drop_total',
      'transmit_drop_total',
      'up',
      'mtu_bytes',
    ])
      f(`node_network_${m}`, { ...base, device });
  }
  for (const device of DISKS) {
    for (const m of [
      'reads_completed_total',
      'writes_completed_total',
      'read_bytes_total',
      'written_bytes_total',
      'io_time_seconds_total',
      'read_time_seconds_total',
      'write_time_seconds_total',
      'io_now',
    ])
      f(`node_disk_${m}`, { ...base, device });
  }
  for (const m of [
    'node_load1',
    'node_load5',
    'node_load15',
    'node_boot_time_seconds',
    'node_context_switches_total',
    'node_intr_total',
    'node_procs_running',
    'node_procs_blocked',
  ])
    f(m, base);
  for (const m of [
    'go_goroutines',
    'go_threads',
    'go_memstats_alloc_bytes',
    'go_memstats_heap_inuse_bytes',
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
    'process_open_fds',
  ])
    f(m, base);
  for (let cpu = 0; cpu < 8; cpu++) {
    for (const m of [
      'node_schedstat_running_seconds_total',
      'node_schedstat_waiting_seconds_total',
      'node_schedstat_timeslices_total',
      'node_softnet_processed_total',
      'node_softnet_dropped_total',
      'node_softnet_times_squeezed_total',
      'node_cpu_guest_seconds_total',
      'node_cpu_scaling_frequency_hertz',
    ])
      f(m, { ...base, cpu: String(cpu) });
  }
  for (let i = 0; i < 60; i++) f(`node_vmstat_${VMSTAT[i % VMSTAT.length]}${i >= VMSTAT.length ? `_${i}` : ''}`, base);
  for (const m of NETSTAT) f(`node_netstat_${m}`, base);
  for (const m of [
    'sync_status',
    'offset_seconds',
    'frequency_adjustment_ratio',
    'maxerror_seconds',
    'estimated_error_seconds',
    'status',
    'tick_seconds',
    'pps_frequency_hertz',
    'loop_time_constant',
    'tai_offset_seconds',
  ])
    f(`node_timex_${m}`, base);
  for (const m of [
    'sockets_used',
    'TCP_alloc',
    'TCP_inuse',
    'TCP_mem',
    'TCP_mem_bytes',
    'TCP_orphan',
    'TCP_tw',
    'UDP_inuse',
    'UDP_mem',
    'UDP_mem_bytes',
    'FRAG_inuse',
    'RAW_inuse',
  ])
    f(`node_sockstat_${m}`, base);
  f('up', base);
}

const VMSTAT = [
  'pgpgin',
  'pgpgout',
  'pswpin',
  'pswpout',
  'pgfault',
  'pgmajfault',
  'oom_kill',
  'nr_dirty',
  'nr_writeback',
  'nr_free_pages',
  'nr_inactive_anon',
  'nr_active_anon',
  'nr_inactive_file',
  'nr_active_file',
  'pgscan_kswapd',
  'pgsteal_kswapd',
  'pgscan_direct',
  'pgsteal_direct',
  'workingset_refault_file',
  'workingset_activate_file',
];
const NETSTAT = [
  'Tcp_ActiveOpens',
  'Tcp_PassiveOpens',
  'Tcp_CurrEstab',
  'Tcp_InErrs',
  'Tcp_InSegs',
  'Tcp_OutSegs',
  'Tcp_RetransSegs',
  'Tcp_OutRsts',
  'TcpExt_ListenDrops',
  'TcpExt_ListenOverflows',
  'TcpExt_SyncookiesFailed',
  'TcpExt_SyncookiesRecv',
  'TcpExt_SyncookiesSent',
  'TcpExt_TCPSynRetrans',
  'TcpExt_TCPTimeouts',
  'Udp_InDatagrams',
  'Udp_InErrors',
  'Udp_NoPorts',
  'Udp_OutDatagrams',
  'Udp_RcvbufErrors',
  'Udp_SndbufErrors',
  'Icmp_InErrors',
  'Icmp_InMsgs',
  'Icmp_OutMsgs',
  'Ip_Forwarding',
  'IpExt_InOctets',
  'IpExt_OutOctets',
  'Ip6_InOctets',
  'Ip6_OutOctets',
  'Udp6_InDatagrams',
];

function cadvisor(
  f: (name: string, l: Labels) => void,
  node: string,
  ns: string,
  pod: string,
  container: string,
): void {
  const base = {
    job: 'kubelet',
    metrics_path: '/metrics/cadvisor',
    instance: `${node}:10250`,
    node,
    namespace: ns,
    pod,
    container,
    image: `registry.example.com/${container}:1.4.2`,
    id: `/kubepods/burstable/pod${pod}/${container}`,
  };
  for (const m of [
    'container_cpu_usage_seconds_total',
    'container_cpu_cfs_periods_total',
    'container_cpu_cfs_throttled_periods_total',
    'container_cpu_system_seconds_total',
    'container_cpu_user_seconds_total',
    'container_memory_working_set_bytes',
    'container_memory_usage_bytes',
    'container_memory_rss',
    'container_memory_cache',
    'container_memory_swap',
    'container_memory_mapped_file',
    'container_spec_cpu_shares',
    'container_spec_cpu_quota',
    'container_spec_cpu_period',
    'container_spec_memory_limit_bytes',
    'container_last_seen',
    'container_start_time_seconds',
    'container_threads',
    'container_sockets',
    'container_file_descriptors',
    'container_oom_events_total',
  ])
    f(m, base);
  for (const m of [
    'container_fs_usage_bytes',
    'container_fs_limit_bytes',
    'container_fs_reads_bytes_total',
    'container_fs_writes_bytes_total',
    'container_fs_inodes_free',
    'container_fs_inodes_total',
    'container_fs_io_time_seconds_total',
    'container_fs_reads_total',
    'container_fs_writes_total',
  ])
    f(m, { ...base, device: '/dev/nvme1n1' });
  for (const state of ['iowaiting', 'running', 'sleeping', 'stopped', 'uninterruptible'])
    f('container_tasks_state', { ...base, state });
  for (const [failure_type, scope] of [
    ['pgfault', 'container'],
    ['pgfault', 'hierarchy'],
    ['pgmajfault', 'container'],
    ['pgmajfault', 'hierarchy'],
  ])
    f('container_memory_failures_total', { ...base, failure_type: failure_type!, scope: scope! });
  for (const m of ['container_blkio_device_usage_total'])
    for (const operation of ['Read', 'Write'])
      f(m, { ...base, device: '/dev/nvme1n1', major: '259', minor: '1', operation });
  if (container === 'POD') {
    for (const m of [
      'container_network_receive_bytes_total',
      'container_network_transmit_bytes_total',
      'container_network_receive_errors_total',
      'container_network_transmit_errors_total',
      'container_network_receive_packets_dropped_total',
      'container_network_transmit_packets_dropped_total',
      'container_network_receive_packets_total',
      'container_network_transmit_packets_total',
    ])
      f(m, { ...base, interface: 'eth0' });
  }
}

function kubeStateMetrics(
  f: (name: string, l: Labels) => void,
  node: string,
  ns: string,
  pod: string,
  containers: string[],
): void {
  const base = { job: 'kube-state-metrics', instance: '10.0.0.5:8080', namespace: ns, pod };
  f('kube_pod_info', {
    ...base,
    node,
    host_ip: '10.0.1.1',
    pod_ip: '10.244.1.7',
    created_by_kind: 'ReplicaSet',
    uid: `uid-${pod}`,
  });
  for (const phase of ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'])
    f('kube_pod_status_phase', { ...base, phase });
  for (const condition of ['true', 'false', 'unknown']) f('kube_pod_status_ready', { ...base, condition });
  for (const condition of ['true', 'false', 'unknown']) f('kube_pod_status_scheduled', { ...base, condition });
  f('kube_pod_labels', { ...base, label_app: pod.replace(/-[a-z0-9]+$/, ''), label_team: 'payments' });
  f('kube_pod_annotations', base);
  f('kube_pod_owner', {
    ...base,
    owner_kind: 'ReplicaSet',
    owner_name: pod.replace(/-[a-z0-9]+$/, ''),
    owner_is_controller: 'true',
  });
  f('kube_pod_created', base);
  f('kube_pod_start_time', base);
  for (const container of containers) {
    const c = { ...base, container };
    f('kube_pod_container_info', {
      ...c,
      image: `registry.example.com/${container}:1.4.2`,
      container_id: `containerd://${pod}${container}`,
    });
    f('kube_pod_container_status_running', c);
    f('kube_pod_container_status_ready', c);
    f('kube_pod_container_status_restarts_total', c);
    f('kube_pod_container_status_waiting', c);
    f('kube_pod_container_status_terminated', c);
    for (const resource of ['cpu', 'memory']) {
      f('kube_pod_container_resource_requests', { ...c, node, resource, unit: resource === 'cpu' ? 'core' : 'byte' });
      f('kube_pod_container_resource_limits', { ...c, node, resource, unit: resource === 'cpu' ? 'core' : 'byte' });
    }
  }
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

/** Every series of the mix, family by family (OpenMetrics wants a family's samples together). */
export function mixFamilies(opts: Pick<MixOptions, 'nodes' | 'podsPerNode'>): Family[] {
  const families = new Map<string, Labels[]>();
  const f = (name: string, l: Labels): void => {
    let list = families.get(name);
    if (!list) families.set(name, (list = []));
    list.push(l);
  };
  const namespaces = ['payments', 'search', 'checkout', 'kube-system', 'monitoring'];
  for (let n = 0; n < opts.nodes; n++) {
    const node = `ip-10-0-${Math.floor(n / 250)}-${n % 250}.eu-west-1.compute.internal`;
    nodeExporter(f, node);
    const pods: [string, string, string[]][] = [];
    for (let p = 0; p < opts.podsPerNode; p++) {
      const ns = namespaces[(n + p) % namespaces.length]!;
      const pod = `svc${p % 17}-7d9f8c6b5-${(n * 1000 + p).toString(36)}`;
      const containers = ['main', 'sidecar'];
      pods.push([ns, pod, containers]);
      for (const c of [...containers, 'POD']) cadvisor(f, node, ns, pod, c);
      kubeStateMetrics(f, node, ns, pod, containers);
      if (ns !== 'kube-system' && ns !== 'monitoring') app(f, ns, pod);
    }
    kubecost(f, node, pods);
  }
  // The API server (three replicas): request latency histograms by verb and resource.
  for (let r = 0; r < 3; r++) {
    const base = { job: 'apiserver', instance: `10.0.0.${10 + r}:6443` };
    for (const verb of ['GET', 'LIST', 'WATCH', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      for (const resource of [
        'pods',
        'nodes',
        'services',
        'endpoints',
        'configmaps',
        'secrets',
        'deployments',
        'replicasets',
        'leases',
        'events',
        'namespaces',
        'jobs',
      ]) {
        for (const le of [
          '0.05',
          '0.1',
          '0.2',
          '0.4',
          '0.6',
          '0.8',
          '1',
          '1.25',
          '1.5',
          '2',
          '3',
          '4',
          '5',
          '6',
          '8',
          '10',
          '15',
          '20',
          '30',
          '60',
          '+Inf',
        ]) {
          f('apiserver_request_duration_seconds_bucket', {
            ...base,
            verb,
            resource,
            scope: 'cluster',
            component: 'apiserver',
            le,
          });
        }
        f('apiserver_request_total', { ...base, verb, resource, code: '200' });
      }
    }
  }
  return [...families].map(([name, series]) => ({ name, series }));
}

function escape(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The mix as OpenMetrics text, for `promtool tsdb create-blocks-from openmetrics`. */
export function* clusterMixOpenMetrics(opts: MixOptions): Generator<string> {
  const rand = seededRandom(42);
  for (const { name, series } of mixFamilies(opts)) {
    yield `# TYPE ${name} gauge\n`;
    for (const labels of series) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${escape(v)}"`)
        .join(',');
      let v = Math.floor(rand() * 1000);
      const lines: string[] = [];
      for (let ts = opts.start; ts < opts.end; ts += opts.stepMs) {
        v += Math.floor(rand() * 10);
        lines.push(`${name}{${l}} ${v} ${ts / 1000}\n`);
      }
      yield lines.join('');
    }
  }
  yield '# EOF\n';
}

/** The number of series of the mix. */
export function mixSeriesCount(opts: Pick<MixOptions, 'nodes' | 'podsPerNode'>): number {
  return mixFamilies(opts).reduce((n, f) => n + f.series.length, 0);
}
