/** A small client of the policy engine's HTTP API: JSON in and out, failures as CliErrors with the exit codes of exit-codes.ts. */
import { CliError } from '../cli-error.js';
import type { ApiConfig } from './api-config.js';
import { EXIT } from './exit-codes.js';

/** The engine answered 4xx: its `{error: {code, message, field}}`; exit 4. */
export class ApiRefusal extends CliError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
    readonly field: string | undefined,
  ) {
    super(message, EXIT.refused);
  }
}

export interface ApiClientOptions {
  /** Per request; default 15000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface RawResponse {
  status: number;
  body: unknown;
}

type Query = Record<string, string | undefined>;

export class ApiClient {
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(
    readonly config: ApiConfig,
    options: ApiClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 15000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** GET a /v1 path; the parsed JSON body of a 2xx. */
  async get<T>(p: string, query: Query = {}): Promise<T> {
    return checked(await this.request('GET', withQuery(p, query)), 'GET', p, this.config) as T;
  }

  /** POST JSON to a /v1 path with the bearer token; the parsed JSON body of a 2xx. */
  async post<T>(p: string, body: unknown): Promise<T> {
    return checked(await this.request('POST', p, body), 'POST', p, this.config) as T;
  }

  /** DELETE a /v1 path with the bearer token; the parsed JSON body of a 2xx. */
  async delete<T>(p: string): Promise<T> {
    return checked(await this.request('DELETE', p), 'DELETE', p, this.config) as T;
  }

  /** Any status, for routes whose non-2xx answers carry meaning (GET /healthz answers 503 when unhealthy). */
  async raw(p: string): Promise<RawResponse> {
    return this.request('GET', p);
  }

  private async request(method: string, p: string, body?: unknown): Promise<RawResponse> {
    const url = `${this.config.apiUrl}${p}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && this.config.token !== undefined) headers['authorization'] = `Bearer ${this.config.token}`;
    try {
      const res = await this.fetchImpl(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      return { status: res.status, body: parseBody(await res.text()) };
    } catch (err) {
      throw new CliError(`cannot reach the policy engine at ${this.config.apiUrl} (${why(err, this.timeoutMs)}); set --api-url or BALLAST_API_URL`, EXIT.unreachable);
    }
  }
}

function checked(r: RawResponse, method: string, p: string, config: ApiConfig): unknown {
  if (r.status >= 200 && r.status < 300) return r.body;
  const e = errorOf(r.body);
  const what = `${method} ${p.split('?')[0]}: ${r.status}${e.code ? ` ${e.code}` : ''}`;
  if (r.status >= 400 && r.status < 500) {
    const hint = r.status === 401 && config.token === undefined ? ' (no API token: pass --token, set BALLAST_API_TOKEN or see `ballast help`)' : '';
    return refuse(`${what}: ${e.message}${e.field ? ` [field: ${e.field}]` : ''}${hint}`, r.status, e.code, e.field);
  }
  throw new CliError(`${what}: ${e.message}`, EXIT.failed);
}

function refuse(message: string, status: number, code: string | undefined, field: string | undefined): never {
  throw new ApiRefusal(message, status, code, field);
}

/** The engine's `{error: {code, message, field}}`, or what can be said of another body. */
export function errorOf(body: unknown): { code?: string; message: string; field?: string } {
  const err = (body as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null)?.error;
  if (err && typeof err === 'object') {
    return {
      ...(typeof err.code === 'string' ? { code: err.code } : {}),
      message: typeof err.message === 'string' ? err.message : JSON.stringify(err),
      ...(typeof err.field === 'string' ? { field: err.field } : {}),
    };
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { message: text.trim().slice(0, 300) || '(empty answer)' };
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function withQuery(p: string, query: Query): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `${p}?${s}` : p;
}

function why(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string; errors?: { code?: string }[] } } | undefined;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  return e?.cause?.code || e?.cause?.errors?.[0]?.code || e?.cause?.message || e?.message || String(err);
}
