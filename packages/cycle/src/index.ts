export * from './cluster-state.js';
export * from './hold-book.js';
export * from './job-tracker.js';
export * from './decide-job.js';
export * from './policy-cycle.js';
export * from './stop-port.js';
export * from './validate-policies.js';
export * from './vm-selector.js';
