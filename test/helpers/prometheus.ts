// The tests use the same local-Prometheus tooling as the demo.
export * from '../../src/demo/local-prometheus.ts';
