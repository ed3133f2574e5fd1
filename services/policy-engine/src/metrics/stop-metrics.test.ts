import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { CycleDecision } from '@ballast/cycle';
import { StopMetrics } from './stop-metrics.js';

const d = (kind: string, stop?: string): CycleDecision => ({ kind, reason: 'r', policy: 'p', atMs: 0, ...(stop ? { inputs: { stop } } : {}) });

test('ballast_cluster_paused follows the pause; suppressed jobs are counted by reason, both reasons present from the start', async () => {
  const registry = new Registry();
  let paused = false;
  const m = new StopMetrics(registry, () => paused);
  let text = await registry.metrics();
  assert.match(text, /^ballast_cluster_paused 0$/m);
  assert.match(text, /^ballast_jobs_suppressed_total\{reason="paused"\} 0$/m);
  assert.match(text, /^ballast_jobs_suppressed_total\{reason="opted_out"\} 0$/m);
  paused = true;
  m.cycleDone([d('suppressed', 'paused'), d('suppressed', 'paused'), d('suppressed', 'opted_out'), d('skipped'), d('grow')]);
  text = await registry.metrics();
  assert.match(text, /^ballast_cluster_paused 1$/m);
  assert.match(text, /^ballast_jobs_suppressed_total\{reason="paused"\} 2$/m);
  assert.match(text, /^ballast_jobs_suppressed_total\{reason="opted_out"\} 1$/m);
});
