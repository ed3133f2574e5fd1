/**
 * The engine's events, wired: the bus on Redis, its producers (the cycle, the job service, the
 * recommendation store), and its faces (GET /v1/events, the webhook routes and delivery, gRPC WatchEvents).
 * main.ts calls the hooks; publishing never blocks or fails a caller (a Redis error is logged).
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { JobOutcome, JobSpec } from '@ballast/domain';
import type { CycleDecision } from '@ballast/cycle';
import type { Recommendation, RecommendationStore } from '../cluster/recommendation-store.js';
import type { Route } from '../http/route-table.js';
import { cycleEvents, DecisionEventFilter, jobEvent, RecommendationEventFilter } from './cycle-events.js';
import { eventRoutes, type EventRouteOptions } from './event-routes.js';
import { EventStream, type EventStreamOptions } from './event-stream.js';
import type { EventInput } from './event-types.js';
import { watchEventsHandler } from './watch-events.js';
import { WebhookDelivery, type WebhookDeliveryOptions } from './webhook-delivery.js';
import { webhookRoutes } from './webhook-routes.js';
import { WebhookStore } from './webhook-store.js';

export interface EngineEventsDeps {
  redis: Redis;
  registry: Registry;
  log: Pick<Logger, 'warn' | 'info'>;
  /** Its changes become `recommendation` events. */
  recommendations?: RecommendationStore;
  now?: () => number;
  stream?: Omit<EventStreamOptions, 'log'>;
  routes?: EventRouteOptions;
  webhooks?: Omit<WebhookDeliveryOptions, 'registry' | 'log'>;
}

interface CycleLike {
  atMs: number;
  decisions: readonly CycleDecision[];
  enqueued: readonly JobSpec[];
  outcomes: ReadonlyMap<string, JobOutcome>;
}

export class EngineEvents {
  readonly stream: EventStream;
  readonly webhooks: WebhookStore;
  readonly delivery: WebhookDelivery;
  /** GET /v1/events and the webhook routes, for the API's route table. */
  readonly routes: Route[];
  readonly watchEvents: ReturnType<typeof watchEventsHandler>;
  private readonly decisions = new DecisionEventFilter();
  private readonly recs = new RecommendationEventFilter();
  private readonly now: () => number;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: EngineEventsDeps) {
    this.now = d.now ?? Date.now;
    this.stream = new EventStream(d.redis, { ...d.stream, log: d.log });
    this.webhooks = new WebhookStore(d.redis, this.now, () => this.stream.lastId());
    this.delivery = new WebhookDelivery(d.redis, this.webhooks, { ...d.webhooks, registry: d.registry, log: d.log });
    this.routes = [...eventRoutes(this.stream, d.routes), ...webhookRoutes(this.webhooks, { attempts: this.delivery.attempts })];
    this.watchEvents = watchEventsHandler(this.stream);
    if (d.recommendations) {
      this.recs.seed(d.recommendations.list());
      d.recommendations.onSaved = (r) => this.recommendationSaved(r);
    }
  }

  /** Tails the stream and starts webhook delivery. */
  async start(): Promise<void> {
    await this.stream.start();
    await this.delivery.start(this.stream);
  }

  async close(): Promise<void> {
    await this.chain;
    await this.delivery.close();
    await this.stream.close();
  }

  jobSubmitted(spec: JobSpec): void {
    this.publish([jobEvent(spec, 'submitted', this.now())]);
  }

  jobCancelled(spec: JobSpec): void {
    this.publish([jobEvent(spec, 'cancelled', this.now())]);
  }

  /** After each cycle: its event-worthy decisions, the jobs it enqueued, the outcomes it read. */
  afterCycle(r: CycleLike, specOf: (jobId: string) => JobSpec | undefined): void {
    this.publish(cycleEvents(r, this.decisions, specOf));
  }

  recommendationSaved(r: Recommendation): void {
    const e = this.recs.changed(r, this.now());
    if (e) this.publish([e]);
  }

  /** Publishes in call order; a failure is logged, never thrown at the producer. */
  private publish(events: EventInput[]): void {
    if (events.length === 0) return;
    this.chain = this.chain
      .then(() => this.stream.publish(events))
      .catch((e: Error) => this.d.log.warn({ err: e.message, events: events.length }, 'events: could not publish'));
  }

  /** Resolves once everything published so far is in the stream (tests). */
  async flushed(): Promise<void> {
    await this.chain;
  }
}
