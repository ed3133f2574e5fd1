/**
 * libvirt constants used with this binding (values from libvirt's headers; a test checks them
 * against the compiled addon).
 */

/** virDomainStatsTypes: which groups getAllDomainStats returns. */
export const DomainStats = {
  STATE: 1 << 0,
  CPU_TOTAL: 1 << 1,
  BALLOON: 1 << 2,
  VCPU: 1 << 3,
  INTERFACE: 1 << 4,
  BLOCK: 1 << 5,
  /** The last dirty-rate measurement (startDirtyRateCalc): dirtyrate.calc_status, dirtyrate.megabytes_per_second. */
  DIRTYRATE: 1 << 9,
} as const;

/** virConnectGetAllDomainStatsFlags. */
export const GetAllDomainStatsFlags = {
  ACTIVE: 1 << 0,
  INACTIVE: 1 << 1,
  PERSISTENT: 1 << 2,
  TRANSIENT: 1 << 3,
  RUNNING: 1 << 4,
  PAUSED: 1 << 5,
  SHUTOFF: 1 << 6,
  OTHER: 1 << 7,
  /** Report what can be had without waiting for a busy domain's job (skip, don't block). */
  NOWAIT: 1 << 29,
  BACKING: 1 << 30,
  /** 1 << 31 as an unsigned value. */
  ENFORCE_STATS: 0x80000000,
} as const;

/** virConnectListAllDomainsFlags (the common filters). */
export const ListDomainsFlags = {
  ACTIVE: 1 << 0,
  INACTIVE: 1 << 1,
  PERSISTENT: 1 << 2,
  TRANSIENT: 1 << 3,
  RUNNING: 1 << 4,
  PAUSED: 1 << 5,
  SHUTOFF: 1 << 6,
  OTHER: 1 << 7,
} as const;

/** virDomainModificationImpact. */
export const AffectFlags = {
  CURRENT: 0,
  LIVE: 1 << 0,
  CONFIG: 1 << 1,
} as const;

/** virDomainCreateFlags (createXML). */
export const DomainStartFlags = {
  PAUSED: 1 << 0,
  /** Destroyed by libvirt when the connection that created it closes. */
  AUTODESTROY: 1 << 1,
} as const;

/** virDomainXMLFlags. */
export const DomainXmlFlags = {
  SECURE: 1 << 0,
  INACTIVE: 1 << 1,
  UPDATE_CPU: 1 << 2,
  MIGRATABLE: 1 << 3,
} as const;

/** virDomainUndefineFlagsValues. */
export const UndefineFlags = {
  MANAGED_SAVE: 1 << 0,
  SNAPSHOTS_METADATA: 1 << 1,
  NVRAM: 1 << 2,
} as const;

/** virDomainMigrateFlags. */
export const MigrateFlags = {
  LIVE: 1 << 0,
  PEER2PEER: 1 << 1,
  TUNNELLED: 1 << 2,
  PERSIST_DEST: 1 << 3,
  UNDEFINE_SOURCE: 1 << 4,
  PAUSED: 1 << 5,
  COMPRESSED: 1 << 11,
  ABORT_ON_ERROR: 1 << 12,
  AUTO_CONVERGE: 1 << 13,
} as const;

/** virDomainState. */
export const DomainState = {
  NOSTATE: 0,
  RUNNING: 1,
  BLOCKED: 2,
  PAUSED: 3,
  SHUTDOWN: 4,
  SHUTOFF: 5,
  CRASHED: 6,
  PMSUSPENDED: 7,
} as const;

/** virDomainEventType (the `event` of a lifecycle event). */
export const DomainEventType = {
  DEFINED: 0,
  UNDEFINED: 1,
  STARTED: 2,
  SUSPENDED: 3,
  RESUMED: 4,
  STOPPED: 5,
  SHUTDOWN: 6,
  PMSUSPENDED: 7,
  CRASHED: 8,
} as const;

/** virDomainMetadataType: what setMetadata / getMetadata work on. */
export const MetadataType = {
  /** The domain's <description> (text). */
  DESCRIPTION: 0,
  /** The domain's <title> (text). */
  TITLE: 1,
  /** One namespaced element in <metadata>, addressed by its namespace URI. */
  ELEMENT: 2,
} as const;

/** virVcpuState. */
export const VcpuState = {
  OFFLINE: 0,
  RUNNING: 1,
  BLOCKED: 2,
} as const;

/** virDomainNumatuneMemMode: the numa_mode of getNumaParameters (see getNumaTune for names). */
export const NumatuneMemMode = {
  STRICT: 0,
  PREFERRED: 1,
  INTERLEAVE: 2,
  RESTRICTIVE: 3,
} as const;

/** virDomainJobType. */
export const JobType = {
  NONE: 0,
  BOUNDED: 1,
  UNBOUNDED: 2,
  COMPLETED: 3,
  FAILED: 4,
  CANCELLED: 5,
} as const;
