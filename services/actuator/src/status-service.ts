import type { ActuatorStatusServiceServer } from '@ballast/proto';

export interface ActuatorStatus {
  hostId: string;
  libvirtUri: string;
  libvirtConnected: () => boolean;
  queue: string;
  startedAtMs: number;
  succeeded: () => number;
  failed: () => number;
  activeJobs: () => number;
}

/** gRPC ActuatorStatusService: what this actuator is and has done. */
export function statusService(s: ActuatorStatus): ActuatorStatusServiceServer {
  return {
    getStatus(_call, cb) {
      cb(null, {
        hostId: s.hostId,
        libvirtUri: s.libvirtUri,
        libvirtConnected: s.libvirtConnected(),
        queue: s.queue,
        jobsSucceeded: s.succeeded(),
        jobsFailed: s.failed(),
        startedAtMs: s.startedAtMs,
        activeJobs: s.activeJobs(),
      });
    },
  };
}
