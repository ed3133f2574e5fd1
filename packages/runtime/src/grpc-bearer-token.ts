import * as grpc from '@grpc/grpc-js';

/**
 * A client interceptor that adds `authorization: Bearer <token>` to every call. Unlike call credentials it
 * also works on insecure channels (grpc-js refuses call credentials there).
 *
 *   new EngineClient(address, grpc.credentials.createInsecure(), { interceptors: [bearerTokenInterceptor(token)] });
 */
export function bearerTokenInterceptor(token: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}

/** Call credentials that set `authorization: Bearer <token>`; only usable on TLS channels. */
export function bearerCallCredentials(token: string): grpc.CallCredentials {
  return grpc.credentials.createFromMetadataGenerator((_params, callback) => {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    callback(null, metadata);
  });
}
