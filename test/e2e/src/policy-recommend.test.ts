import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, waitUntil } from './services.js';
import { apiVms, startStack, type Stack } from './stack.js';
import { dommemstat } from './virsh.js';

const LAB = process.env.BALLAST_LAB === '1';

interface ApiDecision {
  vmUuid?: string;
  kind: string;
  reason: string;
  policy: string;
}

describe('the lab policy document in recommend mode (memory-balloon) on real guests', { skip: LAB ? false : 'needs the lab: run via `make test` or `make e2e`' }, () => {
  let stack: Stack;

  before(async () => {
    // the lab's document (auto) switched to recommend: decisions only
    const doc = JSON.parse(readFileSync(path.join(REPO, 'infra/lab/policy.json'), 'utf8')) as { policies: Record<string, { automation: string }> };
    for (const p of Object.values(doc.policies)) p.automation = 'recommend';
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ballast-policy-')), 'policy.json');
    writeFileSync(file, JSON.stringify(doc));
    stack = await startStack({ extraEnv: { BALLAST_POLICY_FILE: file } });
  });

  after(async () => {
    await stack?.stop();
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
});
