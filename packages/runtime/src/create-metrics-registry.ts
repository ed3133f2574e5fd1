import { collectDefaultMetrics, Registry } from 'prom-client';
import { isTextGauge } from './text-gauge.js';

export interface CreateMetricsRegistryOptions {
  /** Default label `service` on every metric of the registry. */
  service: string;
  /** Default label `host` on every metric, when given. */
  hostId?: string;
  /** Collect the default process/Node.js metrics (CPU, memory, event-loop lag, GC). Default true. */
  processMetrics?: boolean;
}

/** Name prefix of every Ballast metric, the default process metrics included. */
export const METRIC_PREFIX = 'ballast_';

/**
 * A prom-client Registry whose metrics carry `service` (and `host`) labels, with the default process
 * metrics collected as `ballast_process_*` / `ballast_nodejs_*`.
 *
 *   const registry = createMetricsRegistry({ service: 'actuator', hostId });
 *   const jobs = new Counter({ name: 'ballast_jobs_total', help: '…', registers: [registry] });
 */
export function createMetricsRegistry(options: CreateMetricsRegistryOptions): Registry {
  const registry = new TextRegistry();
  registry.setDefaultLabels(options.hostId ? { service: options.service, host: options.hostId } : { service: options.service });
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return registry;
}

/** A Registry that lets a TextGauge write its own text (text-gauge.ts); every other metric as prom-client does. */
class TextRegistry extends Registry {
  private defaults: Record<string, string> = {};

  override setDefaultLabels(labels: object): void {
    super.setDefaultLabels(labels);
    this.defaults = { ...(labels as Record<string, string>) };
  }

  /** As prom-client's (Prometheus text): each metric's text, a blank line between them. */
  override async metrics(): Promise<string> {
    const parts = await Promise.all(this.getMetricsAsArray().map((m): string | Promise<string> => {
      const own: unknown = m;
      return isTextGauge(own) ? own.promText(this.defaults) : this.getSingleMetricAsString(m.name);
    }));
    return `${parts.join('\n\n')}\n`;
  }
}
