export * from './hypervisor.js';
export * from './errors.js';
