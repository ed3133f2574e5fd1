/** The sample recorder's counters (docs/metrics.md), read from it at each scrape. */
import { Counter, type Registry } from 'prom-client';
import type { SampleRecorder } from './sample-recorder.js';

export function registerRecorderMetrics(registry: Registry, recorder: Pick<SampleRecorder, 'recorded' | 'bytes' | 'errors'>): void {
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  counter('ballast_replay_samples_recorded_total', 'Host reports appended to the Redis sample streams (what-if replay)', () => recorder.recorded);
  counter('ballast_replay_sample_bytes_total', 'Bytes of the stream entries appended (deflated proto, before Redis overhead)', () => recorder.bytes);
  counter('ballast_replay_samples_lost_total', 'Host reports not recorded: a failed append, or too many queued', () => recorder.errors);
}
