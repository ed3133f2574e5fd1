export * from './sim-cluster.js';
export * from './sim-hypervisor.js';
export * from './sim-error.js';
export * from './sim-workload.js';
export * from './sim-host.js';
export { KERNEL_SCHEDULER_DEFAULTS, type KernelSchedulerOptions } from './sim-cpu-placement.js';
export * from './sim-vm.js';
export * from './sim-scenario.js';
