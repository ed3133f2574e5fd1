/** The sample recorder's and the sample tail's counters (docs/metrics.md), read from them at each scrape. */
import { Counter, type Registry } from 'prom-client';
import type { SampleRecorder } from './sample-recorder.js';
import type { SampleTail } from './sample-tail.js';

export function registerRecorderMetrics(
  registry: Registry,
  recorder: Pick<SampleRecorder, 'recorded' | 'bytes' | 'errors'>,
  tail?: Pick<SampleTail, 'ingested' | 'undecodable' | 'errors'>,
): void {
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
  if (!tail) return;
  counter('ballast_samples_tailed_total', "Host reports read from the sample streams that other engine replicas received (and at start, each host's window)", () => tail.ingested);
  counter('ballast_samples_tail_undecodable_total', 'Sample stream entries read that did not decode (their keyframe trimmed)', () => tail.undecodable);
  counter('ballast_samples_tail_errors_total', 'Failed reads of the sample streams (retried after a second)', () => tail.errors);
}
