// What other packages (tests, tools) may read of the policy engine: its settings and its policy document.
export * from './engine-config.js';
export * from './policy-document.js';
// The sample streams and the replay (docs/replay.md): readers of the recorded samples (bench, other replicas).
export * from './replay/sample-recorder.js';
export * from './replay/sample-reader.js';
export * from './replay/replay-run.js';
export * from './replay/candidate-document.js';
// The engine's metrics registration (bench: a /metrics scrape at scale without the lab).
export * from './metrics/engine-metrics.js';
export * from './metrics/cluster-gauges-reference.js';
export * from './metrics/queue-gauges.js';
