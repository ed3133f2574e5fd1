export * from './host-sampler.js';
export * from './collector-config.js';
export * from './vm-stats-read.js';
