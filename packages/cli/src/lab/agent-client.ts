import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { CliError } from '../cli-error.js';
import { encodeExec, encodePing, ReplyParser, type AgentReply } from './agent-protocol.js';

export interface AgentClientOptions {
  /** how long to keep retrying to connect (socket missing / refused) */
  connectTimeoutMs?: number;
  /** a label for messages, e.g. the VM name */
  label?: string;
}

const RETRYABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EAGAIN', 'ECONNRESET']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function newId(): string {
  return `c${process.pid.toString(36)}${randomBytes(5).toString('hex')}`;
}

/**
 * Talks to one guest's control agent. Each request uses its own connection: the socket takes one
 * client at a time (a second one waits in the listen backlog until the first hangs up), so holding
 * a connection would lock everyone else out.
 */
export class AgentClient {
  private readonly connectTimeoutMs: number;
  private readonly label: string;

  constructor(
    readonly socketPath: string,
    options: AgentClientOptions = {},
  ) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.label = options.label ?? socketPath;
  }

  /** Resolves with the round-trip time in ms; rejects with a CliError when the agent is unreachable. */
  async ping(timeoutMs = 3000): Promise<number> {
    const t0 = Date.now();
    const id = newId();
    await this.request(id, encodePing(id), timeoutMs);
    return Date.now() - t0;
  }

  /** Runs a shell script in the guest (stdin /dev/null, stdout+stderr merged, killed after timeoutS). */
  exec(script: string, timeoutS = 60): Promise<AgentReply> {
    const id = newId();
    // the guest kills the script at timeoutS; allow for queueing and transfer on top
    return this.request(id, encodeExec(id, script, Math.ceil(timeoutS)), timeoutS * 1000 + 15000);
  }

  private async connect(deadline: number): Promise<net.Socket> {
    let lastCode = '';
    for (;;) {
      try {
        return await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(this.socketPath);
          s.once('connect', () => {
            s.removeAllListeners('error');
            resolve(s);
          });
          s.once('error', (err) => {
            s.destroy();
            reject(err);
          });
        });
      } catch (err) {
        lastCode = (err as NodeJS.ErrnoException).code ?? String(err);
        if (!RETRYABLE.has(lastCode) || Date.now() + 100 > deadline) break;
        await sleep(100);
      }
    }
    const why =
      lastCode === 'ENOENT'
        ? `no control socket at ${this.socketPath} (is the VM running?)`
        : `cannot connect to ${this.socketPath} (${lastCode})`;
    throw new CliError(`agent of ${this.label} unreachable: ${why}`);
  }

  private async request(id: string, line: string, replyTimeoutMs: number): Promise<AgentReply> {
    const socket = await this.connect(Date.now() + this.connectTimeoutMs);
    const parser = new ReplyParser();
    return new Promise<AgentReply>((resolve, reject) => {
      const finish = (err: Error | undefined, reply?: AgentReply) => {
        clearTimeout(timer);
        socket.removeAllListeners();
        socket.on('error', () => {});
        socket.destroy();
        if (err) reject(err);
        else resolve(reply as AgentReply);
      };
      const timer = setTimeout(
        () =>
          finish(
            new CliError(
              `agent of ${this.label} did not answer within ${(replyTimeoutMs / 1000).toFixed(1)} s ` +
                '(guest busy or hung, or another client holds the channel)',
            ),
          ),
        replyTimeoutMs,
      );
      socket.on('data', (chunk: Buffer) => {
        for (const reply of parser.push(chunk)) {
          if (reply.id === id) return finish(undefined, reply);
        }
      });
      socket.on('error', (err: NodeJS.ErrnoException) =>
        finish(new CliError(`agent of ${this.label} unreachable: ${err.code ?? err.message}`)),
      );
      socket.on('close', () => finish(new CliError(`agent of ${this.label} unreachable: connection closed before a reply`)));
      socket.write(line);
    });
  }
}
