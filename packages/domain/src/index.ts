export * from './model.js';
export * from './jobs.js';
export * from './usage.js';
export * from './snapshot.js';
export * from './host-report.js';
export * from './policies/policy.js';
export * from './policies/registry.js';
