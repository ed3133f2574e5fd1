export * from './host-sampler.js';
export * from './collector-config.js';
