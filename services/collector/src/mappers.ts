// The collector's only contact with generated types: HostReport -> HostSample (shared mapping in @ballast/proto).
export { hostSampleFromReport } from '@ballast/proto';
