/**
 * The stop switches over HTTP (docs/stop-switches.md): the cluster pause (read: viewer; pause, resume:
 * admin) and per-VM opt-outs (read: viewer; opt out, opt in: operator). Every change stores who made it
 * (the token id); the API audits every successful change.
 */
import { z } from 'zod';
import type { ClusterState } from '@ballast/cycle';
import type { VmView } from '@ballast/domain';
import { ApiError } from '../api-error.js';
import type { VmOptOutJson } from '../http/api-views.js';
import { defineRoute, type Route } from '../http/route-table.js';
import { OPT_OUT_LABEL, type OptOut, type Pause, type StopSwitches, type VmOptOut } from './stop-switches.js';

export interface StopDeps {
  state: ClusterState;
  stops: StopSwitches;
  now: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const reasonBody = z.strictObject({
  reason: z.string().trim().min(1, 'must not be empty').max(500).describe('Why: shown in every decision the switch suppresses.'),
});
const vmParams = z.object({ name: z.string().min(1).describe('A VM name, or its UUID when two hosts report the same name.') });

export function pauseJson(p: Pause | undefined) {
  return { paused: p !== undefined, reason: p?.reason ?? null, since: p ? iso(p.sinceMs) : null, actor: p?.actor ?? null };
}

/** A VM's opt-out as the API shows it (GET /v1/vms too). */
export function vmOptOutJson(o: VmOptOut): VmOptOutJson {
  return o.source === 'api' ? { source: 'api', reason: o.reason, since: iso(o.sinceMs), actor: o.actor } : { source: 'label', reason: o.reason, since: null, actor: null };
}

function optOutJson(o: OptOut, reported: boolean) {
  return { vm: o.vmName, vmUuid: o.vmUuid, source: 'api', reason: o.reason, since: iso(o.sinceMs), actor: o.actor, reported };
}

/** The VM a name or UUID names among those reported: 404 when none, 409 when two hosts report that name. */
function reportedVm(state: ClusterState, name: string): VmView {
  const found = state.lookup(name);
  if (found.kind === 'missing') throw new ApiError(404, 'vm_not_found', `name: no host reports a VM named "${name}"`, 'name');
  if (found.kind === 'ambiguous') throw new ApiError(409, 'vm_ambiguous', `name: reported by hosts ${found.hosts.join(', ')}; use the UUID`, 'name');
  return found.vm;
}

export function stopRoutes(d: StopDeps): Route[] {
  return [...pauseRoutes(d), ...optOutRoutes(d)];
}

function pauseRoutes(d: StopDeps): Route[] {
  return [
    defineRoute({
      method: 'get', path: '/pause', operationId: 'getPause', tag: 'control', summary: 'Whether the cluster is paused (policies decide, nothing is enqueued), by whom, since when and why',
      responses: { 200: '`{paused, reason, since, actor}`' },
      handle: (_i, res) => res.json(pauseJson(d.stops.current())),
    }),
    defineRoute({
      method: 'post', path: '/pause', operationId: 'pauseCluster', tag: 'control', role: 'admin',
      summary: 'Pauses the cluster: policies keep deciding and recording, no policy job is enqueued (manual jobs and approvals still are)',
      body: reasonBody,
      responses: { 200: '`{paused: true, reason, since, actor}`' },
      handle: async ({ body, principal }, res) => {
        const p = await d.stops.setPause(body.reason, principal.tokenId, d.now());
        res.json(pauseJson(p));
      },
    }),
    defineRoute({
      method: 'delete', path: '/pause', operationId: 'resumeCluster', tag: 'control', role: 'admin', summary: 'Lifts the pause: the next cycle enqueues again',
      responses: { 200: '`{paused: false, lifted: {reason, since, actor} | null}`' },
      handle: async (_i, res) => {
        const before = await d.stops.clearPause();
        res.json({ ...pauseJson(undefined), lifted: before ? { reason: before.reason, since: iso(before.sinceMs), actor: before.actor } : null });
      },
    }),
  ];
}

function optOutRoutes(d: StopDeps): Route[] {
  return [
    defineRoute({
      method: 'get', path: '/opt-outs', operationId: 'listOptOuts', tag: 'control', summary: 'VMs opted out of policy jobs: over the API, and reported VMs carrying the opt-out label',
      responses: { 200: '`{optOuts: [{vm, vmUuid, source, reason, since, actor, reported}]}`' },
      handle: (_i, res) => {
        const vms = d.state.vms();
        const reported = new Set(vms.map((v) => v.uuid));
        const api = d.stops.optOutList().map((o) => optOutJson(o, reported.has(o.vmUuid)));
        const labelled = vms.flatMap((v) => {
          const o = d.stops.vmOptOut(v);
          return o?.source === 'label' ? [{ vm: v.name, vmUuid: v.uuid, ...vmOptOutJson(o), reported: true }] : [];
        });
        res.json({ optOuts: [...api, ...labelled] });
      },
    }),
    defineRoute({
      method: 'post', path: '/vms/:name/opt-out', operationId: 'optOutVm', tag: 'control', role: 'operator',
      summary: 'Opts a VM out of policy jobs (manual jobs still reach it); kept until opted in',
      params: vmParams, body: reasonBody,
      responses: { 200: 'The opt-out', 404: 'No host reports that VM', 409: 'Two hosts report that name: use the UUID' },
      handle: async ({ params, body, principal }, res) => {
        const vm = reportedVm(d.state, params.name);
        res.json(optOutJson(await d.stops.optOut(vm, body.reason, principal.tokenId, d.now()), true));
      },
    }),
    defineRoute({
      method: 'delete', path: '/vms/:name/opt-out', operationId: 'optInVm', tag: 'control', role: 'operator',
      summary: "Removes a VM's API opt-out (a VM no host reports any more is named by its UUID or last name); a label opt-out stays until the label goes",
      params: vmParams,
      responses: { 200: '`{vm, vmUuid, optedOut, lifted}`', 404: 'No such VM, or it has no API opt-out', 409: 'Two hosts report that name: use the UUID' },
      handle: async ({ params }, res) => {
        const stored = d.stops.optOutList().filter((o) => o.vmUuid === params.name || o.vmName === params.name);
        const found = d.state.lookup(params.name);
        const uuid = found.kind === 'found' ? found.vm.uuid : stored.length === 1 ? stored[0]?.vmUuid : undefined;
        if (uuid === undefined) reportedVm(d.state, params.name); // 404 or 409
        const lifted = await d.stops.optIn(uuid as string);
        const vm = found.kind === 'found' ? found.vm : undefined;
        const still = vm ? d.stops.vmOptOut(vm) : undefined;
        if (!lifted) {
          const label = still?.source === 'label' ? ` (it carries the label ${OPT_OUT_LABEL}=true: remove the label to opt it in)` : '';
          throw new ApiError(404, 'opt_out_not_found', `name: VM "${params.name}" has no API opt-out${label}`, 'name');
        }
        res.json({ vm: lifted.vmName, vmUuid: lifted.vmUuid, optedOut: still ? vmOptOutJson(still) : null, lifted: optOutJson(lifted, vm !== undefined) });
      },
    }),
  ];
}

/** ApiDeps.optOutOf: a VM's opt-out as GET /v1/vms shows it. */
export function optOutOf(stops: StopSwitches): (vm: VmView) => VmOptOutJson | undefined {
  return (vm) => {
    const o = stops.vmOptOut(vm);
    return o ? vmOptOutJson(o) : undefined;
  };
}
