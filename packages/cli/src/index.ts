export { CliError, isCliError } from './cli-error.js';
export type { Command } from './command.js';
export { AgentClient, type AgentClientOptions } from './lab/agent-client.js';
export { encodeExec, encodePing, ReplyParser, type AgentReply } from './lab/agent-protocol.js';
export { classifyHealth, checkVmHealth, type HealthStatus, type VmHealth } from './lab/health.js';
export { scanSerialLog, READY_MARKER, type SerialLogFindings } from './lab/serial-log.js';
export { findVm, labStatePath, parseLabState, readLabState, type LabState, type LabVm } from './lab/state.js';
