import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { ConfigError } from './config-error.js';
import { bearerCallCredentials, bearerTokenInterceptor } from './grpc-bearer-token.js';
import { grpcTokenAuth, type GrpcTokenAuthOptions } from './grpc-token-auth.js';

export interface GrpcServerSecurityOptions {
  /** When set, every call must carry `authorization: Bearer <token>`. */
  token?: string | undefined;
  /** TLS is on when cert and key are both set (PEM paths). */
  tlsCertFile?: string | undefined;
  tlsKeyFile?: string | undefined;
  /** With TLS: clients must present a certificate signed by this CA (mutual TLS). */
  tlsCaFile?: string | undefined;
  /** Method paths that need no token (health checks). */
  exemptMethods?: readonly string[];
  /** Called for each call rejected for its token, e.g. to log a warning. */
  onReject?: GrpcTokenAuthOptions['onReject'];
}

export interface GrpcServerSecurity {
  credentials: grpc.ServerCredentials;
  /** Pass to `new grpc.Server({ interceptors })`. */
  interceptors: grpc.ServerInterceptor[];
  tls: boolean;
  mutualTls: boolean;
  tokenRequired: boolean;
}

/**
 * Server credentials (insecure, TLS, or mutual TLS) and the token check, from config.
 *
 *   const sec = grpcServerSecurity({ token: config.grpcToken, tlsCertFile: config.tlsCertFile,
 *     tlsKeyFile: config.tlsKeyFile, tlsCaFile: config.tlsCaFile });
 *   const server = new grpc.Server({ interceptors: sec.interceptors });
 *   server.bindAsync(`${config.grpcHost}:${config.grpcPort}`, sec.credentials, cb);
 */
export function grpcServerSecurity(options: GrpcServerSecurityOptions): GrpcServerSecurity {
  const token = options.token || undefined;
  const interceptors = token
    ? [grpcTokenAuth(token, { exemptMethods: options.exemptMethods ?? [], onReject: options.onReject })]
    : [];
  const { tlsCertFile, tlsKeyFile, tlsCaFile } = options;
  if (!tlsCertFile !== !tlsKeyFile) {
    const [set, missing] = tlsCertFile ? ['tlsCertFile', 'tlsKeyFile'] : ['tlsKeyFile', 'tlsCertFile'];
    throw new ConfigError(`config: ${missing} is required when ${set} is set (gRPC TLS needs both)`, { field: missing, problem: 'is required' });
  }
  if (!tlsCertFile || !tlsKeyFile) {
    if (tlsCaFile) throw new ConfigError('config: tlsCaFile is set but TLS is off — set tlsCertFile and tlsKeyFile too', { field: 'tlsCaFile', problem: 'needs TLS' });
    return { credentials: grpc.ServerCredentials.createInsecure(), interceptors, tls: false, mutualTls: false, tokenRequired: !!token };
  }
  const pair = { cert_chain: readPem('tlsCertFile', tlsCertFile), private_key: readPem('tlsKeyFile', tlsKeyFile) };
  const ca = tlsCaFile ? readPem('tlsCaFile', tlsCaFile) : null;
  return {
    credentials: grpc.ServerCredentials.createSsl(ca, [pair], ca !== null),
    interceptors,
    tls: true,
    mutualTls: ca !== null,
    tokenRequired: !!token,
  };
}

export interface GrpcClientSecurityOptions {
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string | undefined;
  /** Use TLS; implied by tlsCaFile. Without a CA file the system roots verify the server. */
  tls?: boolean;
  /** CA (PEM path) that signed the server certificate. */
  tlsCaFile?: string | undefined;
  /** Client certificate and key for mutual TLS. */
  tlsCertFile?: string | undefined;
  tlsKeyFile?: string | undefined;
  /** Name to verify in the server certificate when it differs from the dialled host. */
  tlsServerName?: string | undefined;
}

export interface GrpcClientSecurity {
  credentials: grpc.ChannelCredentials;
  /** Pass as the client's `interceptors` option (carries the token on insecure channels). */
  interceptors: grpc.Interceptor[];
  /** Pass with the client options (server-name override). */
  channelOptions: grpc.ChannelOptions;
  tls: boolean;
}

/**
 * Client credentials: insecure or TLS (optionally mutual), and the bearer token — as call credentials on TLS,
 * as a metadata interceptor on insecure channels (where grpc-js refuses call credentials).
 *
 *   const sec = grpcClientSecurity({ token: config.grpcToken, tlsCaFile: config.tlsCaFile });
 *   const client = new IngestClient(config.engineAddress, sec.credentials,
 *     { interceptors: sec.interceptors, ...sec.channelOptions });
 */
export function grpcClientSecurity(options: GrpcClientSecurityOptions): GrpcClientSecurity {
  const token = options.token || undefined;
  const { tlsCaFile, tlsCertFile, tlsKeyFile, tlsServerName } = options;
  const tls = options.tls === true || !!tlsCaFile || !!tlsCertFile;
  if (!tls) {
    return { credentials: grpc.credentials.createInsecure(), interceptors: token ? [bearerTokenInterceptor(token)] : [], channelOptions: {}, tls };
  }
  if (!tlsCertFile !== !tlsKeyFile) {
    const [set, missing] = tlsCertFile ? ['tlsCertFile', 'tlsKeyFile'] : ['tlsKeyFile', 'tlsCertFile'];
    throw new ConfigError(`config: ${missing} is required when ${set} is set (client certificate needs both)`, { field: missing, problem: 'is required' });
  }
  const channel = grpc.credentials.createSsl(
    tlsCaFile ? readPem('tlsCaFile', tlsCaFile) : null,
    tlsKeyFile ? readPem('tlsKeyFile', tlsKeyFile) : null,
    tlsCertFile ? readPem('tlsCertFile', tlsCertFile) : null,
  );
  return {
    credentials: token ? grpc.credentials.combineChannelCredentials(channel, bearerCallCredentials(token)) : channel,
    interceptors: [],
    channelOptions: tlsServerName ? { 'grpc.ssl_target_name_override': tlsServerName, 'grpc.default_authority': tlsServerName } : {},
    tls,
  };
}

function readPem(field: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError(`config: ${field}=${JSON.stringify(path)} — cannot read: ${code}`, { field, source: path, problem: `cannot read: ${code}` });
  }
}
