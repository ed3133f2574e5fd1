import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { AgentClient } from './agent-client.js';
import { scanSerialLog, type SerialLogFindings } from './serial-log.js';
import type { LabState, LabVm } from './state.js';

export type HealthStatus = 'alive' | 'panicked' | 'oom-killed' | 'unreachable';

export interface VmHealth {
  vm: string;
  status: HealthStatus;
  detail: string;
  /** libvirt's state ("running", "crashed", ...); null when virsh could not tell */
  domState: string | null;
  agent: { ok: boolean; rttMs: number | null; error: string | null };
  oomKills: number;
  serialLog: string;
}

export interface HealthInputs {
  findings: SerialLogFindings | null;
  serialLogError: string | null;
  domState: string | null;
  agentOk: boolean;
  agentError: string | null;
}

/**
 * Pure classification. A panic (in the log, or libvirt's "crashed" state from the pvpanic device)
 * wins; then OOM kills (the guest lives but lost a process); then an agent that does not answer.
 */
export function classifyHealth(i: HealthInputs): { status: HealthStatus; detail: string } {
  const f = i.findings;
  if (f?.panic) return { status: 'panicked', detail: f.panic };
  if (i.domState?.startsWith('crashed')) return { status: 'panicked', detail: `libvirt reports the domain ${i.domState}` };
  if (f && f.oomKills.length > 0) {
    const last = f.oomKills[f.oomKills.length - 1] ?? '';
    const agent = i.agentOk ? 'agent answers' : 'agent does not answer';
    return { status: 'oom-killed', detail: `${f.oomKills.length} OOM kill(s), last: ${last}; ${agent}` };
  }
  if (!i.agentOk) {
    const parts = [i.agentError ?? 'agent did not answer'];
    if (i.domState && i.domState !== 'running') parts.push(`domain is ${i.domState}`);
    if (f && !f.ready) parts.push('no ready marker in the serial log (still booting?)');
    if (i.serialLogError) parts.push(i.serialLogError);
    return { status: 'unreachable', detail: parts.join('; ') };
  }
  return { status: 'alive', detail: f?.agentRestarts ? `agent restarted ${f.agentRestarts} time(s)` : 'ok' };
}

const execFileP = promisify(execFile);

async function domState(uri: string, name: string): Promise<string | null> {
  try {
    const { stdout } = await execFileP('virsh', ['-q', '-c', uri, 'domstate', '--reason', name], { timeout: 5000 });
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

export async function checkVmHealth(state: LabState, vm: LabVm, pingTimeoutMs: number): Promise<VmHealth> {
  const agent = new AgentClient(vm.socket, { label: vm.name, connectTimeoutMs: Math.min(pingTimeoutMs, 1000) });
  const [log, dom, ping] = await Promise.all([
    readFile(vm.serialLog, 'latin1').then(
      (text) => ({ findings: scanSerialLog(text), error: null }),
      (err: NodeJS.ErrnoException) => ({ findings: null, error: `cannot read serial log: ${err.code ?? err.message}` }),
    ),
    domState(state.uri, vm.name),
    agent.ping(pingTimeoutMs).then(
      (rttMs) => ({ ok: true, rttMs, error: null }),
      (err: Error) => ({ ok: false, rttMs: null, error: err.message }),
    ),
  ]);
  const { status, detail } = classifyHealth({
    findings: log.findings,
    serialLogError: log.error,
    domState: dom,
    agentOk: ping.ok,
    agentError: ping.error,
  });
  return {
    vm: vm.name,
    status,
    detail,
    domState: dom,
    agent: ping,
    oomKills: log.findings?.oomKills.length ?? 0,
    serialLog: vm.serialLog,
  };
}
