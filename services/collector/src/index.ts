export * from './host-sampler.js';
export * from './collector-config.js';
export * from './vm-stats-read.js';
export * from './sample-stream.js';
export { hostSampleFromReport } from './mappers.js';
