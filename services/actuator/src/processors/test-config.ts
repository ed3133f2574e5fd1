import type { ProcessorConfig } from './processor-context.js';

/** The processors' settings in their unit tests (the actuator's defaults, a 10 s budget wait). */
export const TEST_PROCESSOR_CONFIG: ProcessorConfig = {
  minMemoryMiB: 200,
  guestHeadroomMiB: 64,
  staleStatsSec: 30,
  verifyTimeoutMs: 15000,
  migrateTimeoutMs: 60000,
  migrateBandwidthMiBPerSec: 0,
  memoryToleranceMiB: 4,
  budgetWaitMs: 10000,
  hostFreeFloorMiB: 512,
};
