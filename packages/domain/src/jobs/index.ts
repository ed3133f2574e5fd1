export * from './job-spec.js';
export * from './job-type.js';
export * from './registry.js';
export * from './parse.js';
export * from './request-schema.js';
export * from './job-id.js';
