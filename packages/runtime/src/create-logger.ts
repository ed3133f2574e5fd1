import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { chooseLogFormat, type LogFormatSetting } from './log-format.js';
import { redactRedisUrl } from './redact-redis-url.js';

export type LogLevel = Level | 'silent';

export interface CreateLoggerOptions {
  /** 'collector', 'policy-engine', 'actuator', … — bound on every line as `service`. */
  service: string;
  /** Bound on every line as `hostId`. */
  hostId: string;
  /** Default 'info'. */
  logLevel?: LogLevel;
  /** auto (default): readable lines on a terminal, JSON lines otherwise; see chooseLogFormat. */
  logFormat?: LogFormatSetting;
  /** Default stdout. Given: JSON lines to it, whatever logFormat says. */
  destination?: DestinationStream;
}

/** Fields whose values never reach a log line, at the top level and one level down (`config.redisPassword`). */
const SECRET_FIELDS = ['token', 'apiToken', 'grpcToken', 'password', 'redisPassword', 'redisSentinelPassword'];
/** Redis URLs are logged with their password masked. */
const URL_FIELDS = ['redisUrl', 'url'];
const REDACT = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  ...URL_FIELDS,
  ...URL_FIELDS.map((f) => `*.${f}`),
  'req.headers.authorization', 'headers.authorization', 'metadata.authorization',
];

function censor(value: unknown, path: string[]): unknown {
  const last = path[path.length - 1] ?? '';
  if (URL_FIELDS.includes(last)) return typeof value === 'string' ? redactRedisUrl(value) : value;
  return '[redacted]';
}

/**
 * Log lines with `service` and `hostId` bound, ISO timestamps, tokens and passwords redacted (Redis URLs
 * with the password masked): JSON lines on stdout, or readable lines (pino-pretty) on a terminal.
 *
 *   const log = createLogger({ service: 'collector', hostId, logLevel: config.logLevel, logFormat: config.logFormat });
 *   log.info({ vms: 4 }, 'sampled');
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  return pino(
    {
      level: options.logLevel ?? 'info',
      base: { pid: process.pid, service: options.service, hostId: options.hostId },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor },
    },
    options.destination ?? defaultDestination(options.logFormat),
  );
}

function defaultDestination(setting: LogFormatSetting | undefined): DestinationStream {
  if (chooseLogFormat({ setting, isTTY: process.stdout.isTTY, env: process.env }) === 'json') return pino.destination({ dest: 1, sync: true });
  return pretty({
    destination: 1,
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,hostId',
    singleLine: true,
  });
}
