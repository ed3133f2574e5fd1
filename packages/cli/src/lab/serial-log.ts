/** What a guest's serial console log says about its health (pure; see health.ts). */
export interface SerialLogFindings {
  /** the "Kernel panic - not syncing: ..." line, if the guest panicked */
  panic: string | undefined;
  /** "Out of memory: Killed process ..." / oom-kill lines, oldest first */
  oomKills: string[];
  /** the boot's ready marker was printed */
  ready: boolean;
  /** times the guest's control agent died and was restarted by init */
  agentRestarts: number;
}

const ANSI_RE = /\x1b\[[0-9;?]*[A-Za-z]|\x1bc/g;
const TIMESTAMP_RE = /^\[\s*\d+\.\d+\]\s*/;
const PANIC_RE = /Kernel panic - not syncing:?.*$/;
const OOM_RE = /(Out of memory: Killed process .*|Memory cgroup out of memory: Killed process .*)$/;

export const READY_MARKER = 'BALLAST-LAB-READY';

export function scanSerialLog(text: string): SerialLogFindings {
  const findings: SerialLogFindings = { panic: undefined, oomKills: [], ready: false, agentRestarts: 0 };
  for (const raw of text.replace(ANSI_RE, '').split(/\r?\n|\r/)) {
    const line = raw.replace(TIMESTAMP_RE, '').trim();
    if (line.length === 0) continue;
    if (line.includes(READY_MARKER)) findings.ready = true;
    const panic = PANIC_RE.exec(line);
    if (panic && findings.panic === undefined) findings.panic = panic[0].trim();
    const oom = OOM_RE.exec(line);
    if (oom?.[1]) findings.oomKills.push(oom[1].trim());
    if (line.startsWith('ballast-lab: agent exited')) findings.agentRestarts += 1;
  }
  return findings;
}
