/**
 * What makes a takeover continue where the old owner of a host stopped, beyond what is shared in Redis anyway:
 * the jobs it was tracking (job-journal.ts) and its newest decisions (decision-store.ts). The replica that
 * gains a host reads both; the replica deciding for a host saves its decisions, a slice of its hosts a cycle.
 */
import type { PolicyCycle } from '@ballast/cycle';
import type { DecisionLog } from './decision-log.js';
import type { DecisionStore } from './decision-store.js';
import type { JobJournal } from './job-journal.js';

export interface TakeoverDeps {
  journal: JobJournal;
  cycle: Pick<PolicyCycle, 'adopt'>;
  decisions: DecisionLog;
  store: DecisionStore;
  /** The VMs each host reports now. */
  vmsOf: (hostId: string) => readonly string[];
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Each host's decisions are saved every this many cycles; default 15. */
  everyCycles?: number;
  /** Decisions saved per VM (and host) and policy; default 10. */
  perPolicy?: number;
}

export class Takeover {
  private before = new Set<string>();
  private turn = 0;

  constructor(private readonly d: TakeoverDeps) {}

  /** After the leases' round: the hosts just gained get their old owner's tracked jobs and decisions. */
  async gained(owned: ReadonlySet<string>): Promise<void> {
    const gained = [...owned].filter((h) => !this.before.has(h));
    this.before = new Set(owned);
    if (gained.length === 0) return;
    try {
      const [jobs, decisions] = await Promise.all([this.d.journal.load(gained), this.d.store.load(gained)]);
      const n = this.d.cycle.adopt(jobs);
      const m = this.d.decisions.restore(decisions);
      if (n + m > 0) this.d.log.info({ hosts: gained.length, jobs: n, decisions: m }, `took over ${gained.length} host(s): ${n} job(s) and ${m} decision(s) of their old owner`);
    } catch (e) {
      this.d.log.warn({ err: (e as Error).message }, 'could not read what the old owner of the hosts taken over left');
    }
  }

  /** After a cycle: the decisions of a slice of the owned hosts saved (each host every `everyCycles`). */
  async afterCycle(owned: ReadonlySet<string>): Promise<void> {
    const every = this.d.everyCycles ?? 15;
    const turn = this.turn++ % every;
    await this.save([...owned].filter((h) => bucket(h, every) === turn));
  }

  /** Every owned host's decisions saved (at shutdown). */
  async saveAll(): Promise<void> {
    await this.save([...this.before]);
  }

  private async save(hosts: readonly string[]): Promise<void> {
    if (hosts.length === 0) return;
    const per = this.d.perPolicy ?? 10;
    const byHost = new Map(hosts.map((h) => [h, this.d.decisions.snapshot([`host:${h}`, ...this.d.vmsOf(h)], per)]));
    await this.d.store.save(byHost).catch((e: Error) => this.d.log.warn({ err: e.message }, 'could not save decisions for a takeover in Redis'));
  }
}

/** A host's slot among `n` (stable: a host is saved at the same turn each round). */
function bucket(hostId: string, n: number): number {
  let h = 0;
  for (let i = 0; i < hostId.length; i++) h = (h * 31 + hostId.charCodeAt(i)) >>> 0;
  return h % n;
}
