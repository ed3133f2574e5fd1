import * as grpc from '@grpc/grpc-js';
import { IngestServiceClient, type HostSample, type StreamSamplesRequest } from '@ballast/proto';
import { Backoff } from '@ballast/runtime';
import type { Logger } from 'pino';

export interface SampleStreamOptions {
  /** host:port of an engine replica, or several separated by commas: the stream moves to the next when one goes away. */
  address: string;
  credentials: grpc.ChannelCredentials;
  interceptors?: grpc.Interceptor[];
  log: Logger;
  /** Reconnect backoff bounds (also those of the channel's own reconnects). Default 250 ms to 5 s. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * A client stream of HostSamples to the policy engine that reopens itself (with backoff) when the engine
 * goes away or is not there yet — with several engine replicas, at the next one (any replica takes any
 * host's samples). While disconnected, samples are dropped (the next one supersedes them); `connected`
 * tells the state.
 */
export class SampleStream {
  private client: IngestServiceClient;
  private readonly addresses: string[];
  private at = 0;
  private call: grpc.ClientWritableStream<StreamSamplesRequest> | undefined;
  private readonly backoff: Backoff;
  private reopenTimer: NodeJS.Timeout | undefined;
  private closed = false;
  sent = 0;
  dropped = 0;

  constructor(private readonly o: SampleStreamOptions) {
    this.backoff = new Backoff({ minMs: o.minBackoffMs ?? 250, maxMs: o.maxBackoffMs ?? 5000 });
    this.addresses = engineAddresses(o.address);
    this.client = this.clientFor(this.addresses[0] as string);
  }

  /** The engine address the stream uses now. */
  get address(): string {
    return this.addresses[this.at] as string;
  }

  private clientFor(address: string): IngestServiceClient {
    const minMs = this.o.minBackoffMs ?? 250;
    const maxMs = this.o.maxBackoffMs ?? 5000;
    return new IngestServiceClient(address, this.o.credentials, {
      interceptors: this.o.interceptors ?? [],
      'grpc.keepalive_time_ms': 15000,
      'grpc.keepalive_timeout_ms': 5000,
      // grpc-js waits up to 2 min between its own reconnects by default: an engine back after a long
      // outage would go unnoticed that long.
      'grpc.initial_reconnect_backoff_ms': minMs,
      'grpc.max_reconnect_backoff_ms': maxMs,
    });
  }

  /** A stream is open on a channel that is up. */
  get connected(): boolean {
    return this.call !== undefined && this.channelReady();
  }

  private channelReady(): boolean {
    return this.client.getChannel().getConnectivityState(false) === grpc.connectivityState.READY;
  }

  private open(): void {
    if (this.closed || this.call) return;
    const call = this.client.streamSamples((err) => {
      if (this.call === call) this.call = undefined;
      if (this.closed) return;
      this.scheduleReopen(err?.message);
    });
    call.on('error', () => {
      /* reported through the callback */
    });
    this.call = call;
  }

  private scheduleReopen(reason: string | undefined): void {
    if (this.reopenTimer || this.closed) return;
    const backoffMs = this.backoff.next();
    this.o.log.warn({ err: reason, backoffMs }, `sample stream closed; reopening in ${backoffMs} ms`);
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      if (this.addresses.length > 1 && !this.channelReady()) this.next();
      this.open();
    }, backoffMs);
  }

  /** On to the next engine replica (the one in use is down). */
  private next(): void {
    const from = this.address;
    this.at = (this.at + 1) % this.addresses.length;
    this.client.close();
    this.client = this.clientFor(this.address);
    this.o.log.warn({ from, to: this.address }, `engine ${from} is down: streaming to ${this.address}`);
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
    if (this.channelReady()) this.backoff.reset();
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

/** `a:1,b:2` → [`a:1`, `b:2`] (blanks dropped); at least one. */
export function engineAddresses(list: string): string[] {
  const out = list.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (out.length === 0) throw new Error('engineAddress: no address in it');
  return out;
}
