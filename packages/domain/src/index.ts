export * from './model.js';
export * from './jobs.js';
export * from './usage.js';
export * from './snapshot.js';
export * from './host-report.js';
export * from './policies/policy.js';
export * from './policies/registry.js';
export { memoryBalloonPolicy, planMemoryBalloon, validateMemoryBalloonArgs, defaultMemoryBalloonArgs, type MemoryBalloonArgs, type MemoryDecision, type MemoryDecisionKind, type MemoryVmView } from './policies/memory-balloon/index.js';
export * from './seeded-random.js';
