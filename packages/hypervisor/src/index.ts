export * from './hypervisor.js';
export * from './errors.js';
export * from './libvirt-hypervisor.js';
export * from './ksm-run.js';
export * from './numa-tune-change.js';
export * from './open-hypervisor.js';
export * from './domain-config.js';
export * from './reconnecting-hypervisor.js';
