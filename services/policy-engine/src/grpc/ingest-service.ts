import * as grpc from '@grpc/grpc-js';
import type { HostReport } from '@ballast/domain';
import type { IngestServiceServer, StreamSamplesRequest, StreamSamplesResponse } from '@ballast/proto';
import type { Logger } from 'pino';
import { hostReportFromProto } from '../mappers.js';

/** Receives each collector's stream of HostSamples and hands them to `onReport`. */
export function ingestService(onReport: (r: HostReport) => void, log: Logger): IngestServiceServer {
  return {
    streamSamples(
      call: grpc.ServerReadableStream<StreamSamplesRequest, StreamSamplesResponse>,
      callback: grpc.sendUnaryData<StreamSamplesResponse>,
    ) {
      let accepted = 0;
      let host = '?';
      call.on('data', (req: StreamSamplesRequest) => {
        try {
          if (!req.sample) throw new Error('sample: required');
          const report = hostReportFromProto(req.sample);
          host = report.hostId;
          onReport(report);
          accepted++;
        } catch (e) {
          log.warn({ err: (e as Error).message, host }, 'rejected a sample');
        }
      });
      call.on('end', () => callback(null, { accepted }));
      call.on('error', (e) => log.debug({ err: e.message, host }, 'sample stream ended with error'));
    },
  };
}
