export * from './sim-cluster.js';
export * from './sim-hypervisor.js';
export * from './sim-error.js';
export * from './sim-workload.js';
export * from './sim-host.js';
export * from './sim-vm.js';
export * from './sim-scenario.js';
