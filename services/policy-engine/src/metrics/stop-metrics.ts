/**
 * The stop switches' metrics (docs/metrics.md, docs/stop-switches.md): whether the cluster is paused, and
 * the policy jobs the switches suppressed, by why (`paused`, `opted_out`). Both label values exist from the
 * start (at 0), so an alert on `increase(...)` sees the series before the first suppression.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { CycleDecision, StopKind } from '@ballast/cycle';

const KINDS: readonly StopKind[] = ['paused', 'opted_out'];

export class StopMetrics {
  private readonly suppressed: Counter<'reason'>;

  constructor(registry: Registry, paused: () => boolean) {
    new Gauge({
      name: 'ballast_cluster_paused',
      help: 'Whether the cluster is paused (1): policies decide, no policy job is enqueued',
      registers: [registry],
      collect() {
        this.set(paused() ? 1 : 0);
      },
    });
    this.suppressed = new Counter({
      name: 'ballast_jobs_suppressed_total',
      help: 'Policy jobs not sent because of a stop switch, by reason (paused: the cluster pause; opted_out: the VM opted out)',
      labelNames: ['reason'],
      registers: [registry],
    });
    for (const reason of KINDS) this.suppressed.inc({ reason }, 0);
  }

  /** Counts a cycle's suppressed decisions (one per job not sent). */
  cycleDone(decisions: readonly CycleDecision[]): void {
    for (const d of decisions) {
      if (d.kind !== 'suppressed') continue;
      const stop = d.inputs?.['stop'];
      if (stop === 'paused' || stop === 'opted_out') this.suppressed.inc({ reason: stop });
    }
  }
}
