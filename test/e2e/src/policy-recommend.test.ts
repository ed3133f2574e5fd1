import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, waitUntil } from './services.js';
import { apiVms, startStack, type Stack } from './stack.js';
import { dommemstat, virsh } from './virsh.js';

const LABELS_NS = 'https://ballast.dev/xmlns/labels/1';

const LAB = process.env.BALLAST_LAB === '1';

interface ApiDecision {
  vmUuid?: string;
  kind: string;
  reason: string;
  policy: string;
}

describe('the memory policy document in recommend mode (memory-balloon) on real guests', { skip: LAB ? false : 'needs the lab: run via `make test` or `make e2e`' }, () => {
  let stack: Stack;

  before(async () => {
    // the memory scenarios' document (auto) switched to recommend: decisions only
    const doc = JSON.parse(readFileSync(path.join(REPO, 'test/e2e/fixtures/memory-policy.json'), 'utf8')) as {
      policies: Record<string, { automation: string; args: Record<string, unknown> }>;
    };
    for (const p of Object.values(doc.policies)) p.automation = 'recommend';
    // a group chosen by a label in the domain's own metadata
    const mb = doc.policies['memory-balloon'];
    if (mb) mb.args['groups'] = [{ name: 'gold', match: { labels: { tier: 'gold' } }, shares: 'high' }];
    await virsh('metadata', 'lab-vm2', '--uri', LABELS_NS, '--key', 'ballast', '--live', '--set', '<labels><label name="tier">gold</label></labels>');
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ballast-policy-')), 'policy.json');
    writeFileSync(file, JSON.stringify(doc));
    stack = await startStack({ extraEnv: { BALLAST_POLICY_FILE: file } });
  });

  after(async () => {
    await stack?.stop();
    await virsh('metadata', 'lab-vm2', '--uri', LABELS_NS, '--live', '--remove');
  });

  test('every lab VM gets a recorded decision with its reason; recommend changes no balloon', async () => {
    const before = await dommemstat('lab-vm1');
    const vms = await waitUntil('lab VMs in the API', 30000, async () => {
      const v = (await apiVms(stack)).filter((x) => x.name.startsWith('lab-vm') && x.balloon?.hasGuestStats);
      return v.length >= 4 ? v : undefined;
    });
    const decisions = await waitUntil('a decision for every lab VM', 20000, async () => {
      const d = ((await (await stack.api('/v1/decisions?limit=200')).json()) as { decisions: ApiDecision[] }).decisions;
      return vms.every((v) => d.some((x) => x.vmUuid === v.uuid)) ? d : undefined;
    });
    for (const d of decisions) {
      assert.equal(d.policy, 'memory-balloon');
      assert.ok(['grow', 'release', 'hold', 'starved', 'unmanaged', 'stale', 'warmup', 'protect'].includes(d.kind), d.kind);
      assert.ok(d.reason.length > 10, d.reason);
    }
    const one = (await (await stack.api('/v1/decisions?vm=lab-vm1&limit=5')).json()) as { decisions: ApiDecision[] };
    const uuid = vms.find((v) => v.name === 'lab-vm1')?.uuid;
    assert.ok(one.decisions.length > 0 && one.decisions.every((d) => d.vmUuid === uuid));
    const policies = (await (await stack.api('/v1/policies')).json()) as { policies: { name: string; automation: string }[] };
    assert.deepEqual(policies.policies.map((p) => [p.name, p.automation]), [['memory-balloon', 'recommend']]);
    assert.equal((await dommemstat('lab-vm1'))['actual'], before['actual']);
  });

  test("labels in a domain's <metadata> reach the API and select policy groups", async () => {
    const vm = (await (await stack.api('/v1/vms/lab-vm2')).json()) as {
      labels: Record<string, string>;
      config: { memoryLocked: boolean; hugepages: boolean; hostdevCount: number; balloonModel: string } | null;
      decisions: { policy: string; kind: string; reason: string }[];
    };
    assert.deepEqual(vm.labels, { tier: 'gold' });
    assert.deepEqual(vm.config, { memoryLocked: false, hugepages: false, hostdevCount: 0, balloonModel: 'virtio', deflateOnOom: false });
    assert.equal(vm.decisions.length, 1);
    assert.equal(vm.decisions[0]?.policy, 'memory-balloon');
    const d = await waitUntil('a decision for lab-vm2 in the gold group', 10000, async () => {
      const r = (await (await stack.api('/v1/decisions?vm=lab-vm2&limit=1')).json()) as { decisions: { inputs: { groups?: string[]; sharesPerMiB?: number } }[] };
      const x = r.decisions[0];
      return x?.inputs.groups?.includes('gold') ? x : undefined;
    });
    assert.equal(d.inputs.sharesPerMiB, 20);
    const one = (await (await stack.api('/v1/decisions?vm=lab-vm1&limit=1')).json()) as { decisions: { inputs: { groups?: string[] } }[] };
    assert.deepEqual(one.decisions[0]?.inputs.groups, []);
    // what stands now, per VM: one decision each
    const latest = (await (await stack.api('/v1/decisions?latest=true')).json()) as { decisions: { vmUuid: string }[] };
    assert.equal(new Set(latest.decisions.map((x) => x.vmUuid)).size, latest.decisions.length);
    assert.equal((await stack.api('/v1/decisions?latest=maybe')).status, 400);
  });
});
