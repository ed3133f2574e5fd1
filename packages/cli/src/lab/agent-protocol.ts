/**
 * Wire format of the lab guest's control agent (infra/lab/guest/ballast-agent), over the guest's
 * virtio-serial port `org.ballast.ctl`, which the host sees as a unix socket:
 *
 *   request, one line:   `P <id>\n`                                 ping
 *                        `X <id> <timeoutS> <base64(script)>\n`     run `sh script`, stdout+stderr
 *   reply:               `R <id> <exitCode> <n>\n` + n bytes of base64(output) (newlines allowed)
 *   hello:               `H <port>\n`, written by the agent when a client connects; skipped
 *
 * Ids are [A-Za-z0-9_-]{1,64}. One request runs at a time. A reply can belong to an earlier client
 * that went away, so a reader skips replies with other ids; lines that are not reply headers are
 * skipped too (a half-delivered stale reply, for instance).
 */

export interface AgentReply {
  id: string;
  exitCode: number;
  output: Buffer;
}

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const HEADER_RE = /^R ([A-Za-z0-9_-]{1,64}) (-?\d{1,5}) (\d{1,10})$/;
/** Bigger payloads than this are treated as garbage (the agent never sends such). */
const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

export function isValidId(id: string): boolean {
  return ID_RE.test(id);
}

export function encodePing(id: string): string {
  assertId(id);
  return `P ${id}\n`;
}

export function encodeExec(id: string, script: string, timeoutS: number): string {
  assertId(id);
  if (!Number.isInteger(timeoutS) || timeoutS < 1) throw new RangeError(`timeoutS must be a positive integer, got ${timeoutS}`);
  return `X ${id} ${timeoutS} ${Buffer.from(script, 'utf8').toString('base64')}\n`;
}

function assertId(id: string): void {
  if (!isValidId(id)) throw new RangeError(`bad request id '${id}'`);
}

/** Incremental reply parser: push bytes as they arrive, take complete replies. */
export class ReplyParser {
  private buf: Buffer = Buffer.alloc(0);
  /** header of a reply whose payload is still incomplete */
  private pending: { id: string; exitCode: number; length: number } | undefined;

  push(chunk: Buffer): AgentReply[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: AgentReply[] = [];
    for (;;) {
      if (this.pending) {
        if (this.buf.length < this.pending.length) break;
        const payload = this.buf.subarray(0, this.pending.length).toString('latin1');
        this.buf = this.buf.subarray(this.pending.length);
        out.push({
          id: this.pending.id,
          exitCode: this.pending.exitCode,
          output: Buffer.from(payload.replace(/\s+/g, ''), 'base64'),
        });
        this.pending = undefined;
        continue;
      }
      const nl = this.buf.indexOf(0x0a);
      if (nl === -1) break;
      const line = this.buf.subarray(0, nl).toString('latin1').replace(/\r$/, '');
      this.buf = this.buf.subarray(nl + 1);
      const m = HEADER_RE.exec(line);
      if (!m) continue;
      const length = Number(m[3]);
      if (length > MAX_PAYLOAD_BYTES) continue;
      this.pending = { id: m[1] ?? '', exitCode: Number(m[2]), length };
    }
    return out;
  }

  /** Bytes held back (an incomplete line or payload). */
  get buffered(): number {
    return this.buf.length;
  }
}
