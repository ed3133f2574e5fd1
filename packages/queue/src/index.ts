export * from './queue-names.js';
export * from './job-options.js';
export * from './job-queues.js';
