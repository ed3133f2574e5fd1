// Re-exports of the ts-proto code generated from proto/ballast/v1 (see `make proto`).
// The generated folder is gitignored and rebuilt at build time; never edit it.
export * from './gen/ballast/v1/sample.js';
export * from './gen/ballast/v1/job.js';
export * from './gen/ballast/v1/ingest_service.js';
export * from './gen/ballast/v1/policy_service.js';
export * from './gen/ballast/v1/actuator_service.js';
// Each generated file declares these helpers; name one set explicitly to resolve the ambiguity.
export { protobufPackage, protobufFileName, type DeepPartial, type Exact, type MessageFns } from './gen/ballast/v1/sample.js';
export * from './report-mappers.js';
export * from './job-mappers.js';
