export * from './actuator-config.js';
export * from './job-router.js';
export * from './actuator-worker.js';
export * from './processors/processor-context.js';
