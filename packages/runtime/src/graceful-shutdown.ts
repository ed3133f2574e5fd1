/** The logger methods shutdown uses; a pino Logger fits. */
export interface ShutdownLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export type ShutdownStep = () => unknown;

export interface GracefulShutdownOptions {
  logger?: ShutdownLogger;
  /** Deadline for all steps together. Default 10000. */
  timeoutMs?: number;
  /** Signals that start the shutdown; a second one forces exit 1. Default SIGINT, SIGTERM; [] installs none. */
  signals?: readonly NodeJS.Signals[];
  /** Default process.exit; tests pass a recorder. */
  exit?: (code: number) => void;
}

export interface ShutdownResult {
  /** 0 when every step finished in time, 1 otherwise. */
  code: 0 | 1;
  /** Steps that threw or rejected. */
  failed: string[];
  /** The step still running when the deadline passed, if any. */
  timedOutStep?: string;
  /** Steps never started because of the deadline. */
  skipped: string[];
}

export interface GracefulShutdown {
  /** Registers a cleanup step; steps run in reverse order of registration (last started, first stopped). */
  add(name: string, step: ShutdownStep): void;
  /** Runs the steps once (later calls return the same promise), then calls exit(code). */
  shutdown(reason?: string): Promise<ShutdownResult>;
  /** Removes the signal handlers (tests, or a caller that handles signals itself). */
  dispose(): void;
  readonly shuttingDown: boolean;
}

const noLog: ShutdownLogger = { info() {}, warn() {}, error() {} };

/**
 * On SIGINT/SIGTERM: runs the registered steps in reverse order within a deadline, logs each, exits 0 (1 if a
 * step failed or the deadline passed). A second signal exits 1 at once.
 *
 *   const shutdown = createGracefulShutdown({ logger: log });
 *   shutdown.add('grpc server', () => new Promise((r) => server.tryShutdown(() => r(undefined))));
 *   shutdown.add('redis', () => redis.quit());
 */
export function createGracefulShutdown(options: GracefulShutdownOptions = {}): GracefulShutdown {
  const log = options.logger ?? noLog;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const steps: { name: string; step: ShutdownStep }[] = [];
  let running: Promise<ShutdownResult> | undefined;

  const onSignal = (signal: NodeJS.Signals) => {
    if (running) {
      log.error({ signal }, 'second signal during shutdown: exiting now');
      exit(1);
      return;
    }
    void shutdown(signal);
  };
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  for (const signal of signals) process.on(signal, onSignal);

  async function run(reason: string): Promise<ShutdownResult> {
    const started = Date.now();
    log.info({ reason, steps: steps.length, timeoutMs }, 'shutting down');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), timeoutMs);
    });
    const order = [...steps].reverse();
    const result: ShutdownResult = { code: 0, failed: [], skipped: [] };
    for (const [i, { name, step }] of order.entries()) {
      const stepStarted = Date.now();
      const outcome = await Promise.race([
        Promise.resolve()
          .then(step)
          .then(
            () => ({ ok: true as const }),
            (err: unknown) => ({ ok: false as const, err }),
          ),
        deadline,
      ]);
      if (outcome === 'deadline') {
        result.timedOutStep = name;
        result.skipped = order.slice(i + 1).map((s) => s.name);
        log.error({ step: name, timeoutMs, skipped: result.skipped }, 'shutdown deadline passed');
        break;
      }
      if (outcome.ok) {
        log.info({ step: name, ms: Date.now() - stepStarted }, 'stopped');
      } else {
        result.failed.push(name);
        log.error({ step: name, err: outcome.err }, 'shutdown step failed');
      }
    }
    clearTimeout(timer);
    result.code = result.failed.length > 0 || result.timedOutStep !== undefined ? 1 : 0;
    log.info({ code: result.code, ms: Date.now() - started }, 'shutdown complete');
    exit(result.code);
    return result;
  }

  function shutdown(reason = 'shutdown() called'): Promise<ShutdownResult> {
    running ??= run(reason);
    return running;
  }

  return {
    add(name, step) {
      if (running) throw new Error(`shutdown already started; cannot add step "${name}"`);
      steps.push({ name, step });
    },
    shutdown,
    dispose() {
      for (const signal of signals) process.off(signal, onSignal);
    },
    get shuttingDown() {
      return running !== undefined;
    },
  };
}
