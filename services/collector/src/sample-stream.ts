import * as grpc from '@grpc/grpc-js';
import { IngestServiceClient, type HostSample, type StreamSamplesRequest } from '@ballast/proto';
import type { Logger } from 'pino';

export interface SampleStreamOptions {
  address: string;
  credentials: grpc.ChannelCredentials;
  interceptors?: grpc.Interceptor[];
  log: Logger;
  /** Reconnect backoff bounds. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * A client stream of HostSamples to the policy engine that reopens itself when the engine goes away.
 * While disconnected, samples are dropped (the next one supersedes them); `connected` tells the state.
 */
export class SampleStream {
  private client: IngestServiceClient;
  private call: grpc.ClientWritableStream<StreamSamplesRequest> | undefined;
  private backoffMs: number;
  private reopenTimer: NodeJS.Timeout | undefined;
  private closed = false;
  sent = 0;
  dropped = 0;

  constructor(private readonly o: SampleStreamOptions) {
    this.backoffMs = o.minBackoffMs ?? 250;
    this.client = new IngestServiceClient(o.address, o.credentials, {
      interceptors: o.interceptors ?? [],
      'grpc.keepalive_time_ms': 15000,
      'grpc.keepalive_timeout_ms': 5000,
    });
  }

  get connected(): boolean {
    return this.call !== undefined;
  }

  private open(): void {
    if (this.closed || this.call) return;
    const call = this.client.streamSamples((err) => {
      if (this.call === call) this.call = undefined;
      if (this.closed) return;
      this.o.log.warn({ err: err?.message, backoffMs: this.backoffMs }, 'sample stream closed; reconnecting');
      this.scheduleReopen();
    });
    call.on('error', () => {
      /* reported through the callback */
    });
    this.call = call;
  }

  private scheduleReopen(): void {
    if (this.reopenTimer || this.closed) return;
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      this.open();
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, this.o.maxBackoffMs ?? 5000);
  }

  /** Sends one sample; returns false when it was dropped because the stream is down. */
  send(sample: HostSample): boolean {
    if (!this.call) this.open();
    const call = this.call;
    if (!call) {
      this.dropped++;
      return false;
    }
    // Wait for readiness only to learn the channel is up; a stream that never connects errors out.
    call.write({ sample });
    this.sent++;
    this.backoffMs = this.o.minBackoffMs ?? 250;
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    const call = this.call;
    this.call = undefined;
    if (call) {
      call.end();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.client.close();
  }
}
