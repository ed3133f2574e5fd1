// One renderer per panel; each takes the API's JSON (see docs/dashboard.md) and fills its part of the page.
import { el, fill, fmt } from './dom.js';

const $ = (sel) => document.querySelector(sel);

/** Balloon used (actual − unused), when the guest reports its memory stats. */
export function usedMiB(b) {
  return b && b.hasGuestStats && b.unusedMiB !== null ? Math.round((b.actualMiB - b.unusedMiB) * 10) / 10 : null;
}

function bar(label, value, max, text, attrs = {}) {
  return el('div', { class: 'bar', ...attrs },
    el('span', {}, label),
    el('meter', { min: 0, max, value, low: max * 0.7, high: max * 0.9, optimum: 0 }),
    el('span', { class: 'num value' }, text));
}

function hostCard(h) {
  const usedMemMiB = h.memoryTotalMiB - h.memoryFreeMiB;
  return el('div', { class: 'card host', 'data-host': h.hostId },
    el('h3', {}, h.hostId, ' ', el('small', {}, h.hostname),
      h.stale ? el('span', { class: 'flag stale' }, 'stale') : null,
      h.maintenance ? el('span', { class: 'flag maintenance' }, 'maintenance') : null),
    el('div', { class: 'meta' }, `${h.vmCount} VMs · sample ${fmt.time(h.lastSampleAt)}`),
    h.pcpus.map((p) => bar(`pCPU ${p.pcpu}`, p.usagePercent, 100, fmt.pct(p.usagePercent), { 'data-pcpu': p.pcpu })),
    bar('memory', usedMemMiB, h.memoryTotalMiB, `${Math.round(h.memoryFreeMiB)} MiB free`, { 'data-memory': '' }));
}

export function renderHosts(hosts) {
  fill($('#hosts'), hosts.length ? hosts.map(hostCard) : [el('p', { class: 'hint' }, 'No host reports to this engine yet.')]);
}

export function renderVms(vms) {
  const num = (cls, x) => el('td', { class: `num ${cls}` }, fmt.mib(x));
  fill($('#vms tbody'), vms.map((v) => el('tr', { 'data-vm': v.name },
    el('td', {}, v.name), el('td', {}, v.host), el('td', {}, v.state),
    el('td', { class: 'num cpu' }, v.cpuPercent.toFixed(1)),
    num('actual', v.balloon?.actualMiB), num('used', usedMiB(v.balloon)),
    num('unused', v.balloon?.unusedMiB), num('maximum', v.balloon?.maximumMiB))));
}

/** Pending recommendations, each with Approve / Reject (`decide(id, 'approve' | 'reject')`). */
export function renderRecommendations(recs, decide) {
  const rows = recs.map((r) => el('tr', { 'data-recommendation': r.id },
    el('td', {}, r.vm), el('td', {}, `${r.from} → ${r.to}`), el('td', {}, r.move),
    el('td', { class: 'num' }, r.priority),
    el('td', { class: 'num' }, `${r.imbalanceBefore} → ${r.predictedAfter}`),
    el('td', {}, r.reason),
    el('td', {},
      el('button', { type: 'button', class: 'approve', onclick: () => decide(r.id, 'approve') }, 'Approve'),
      ' ',
      el('button', { type: 'button', class: 'reject', onclick: () => decide(r.id, 'reject') }, 'Reject'))));
  fill($('#recs tbody'), rows.length ? rows : [el('tr', {}, el('td', { colspan: 7, class: 'hint' }, 'Nothing pending.'))]);
}

/** A job's progress (a migration's percent and MiB sent) or its outcome. */
function jobOutcome(j) {
  const p = j.progress;
  if (j.state === 'active' && p && typeof p.percent === 'number') {
    const sent = p.memorySentMiB !== undefined ? ` ${p.memorySentMiB} / ${p.memoryTotalMiB} MiB` : '';
    const rate = p.rateMiBs !== undefined ? ` at ${p.rateMiBs} MiB/s` : '';
    return [el('progress', { max: 100, value: p.percent }), ` ${p.percent} %${sent}${rate}`];
  }
  if (j.error) return el('span', { class: 'error' }, j.error);
  return j.result?.message ?? '';
}

export function renderJobs(jobs) {
  fill($('#jobs tbody'), jobs.map((j) => el('tr', { 'data-job': j.id, 'data-state': j.state },
    el('td', {}, fmt.time(j.createdAt)), el('td', {}, j.type), el('td', {}, j.vm ?? j.host),
    el('td', {}, j.host), el('td', {}, j.policy ? `policy ${j.policy}` : j.source),
    el('td', { class: 'state' }, j.state), el('td', {}, jobOutcome(j)))));
}

/** The decisions timeline, newest first; VM UUIDs shown by name when a host reports them. */
export function renderDecisions(decisions, vmName) {
  fill($('#decisions'), decisions.map((d) => el('li', { 'data-kind': d.kind },
    el('div', { class: 'meta' }, `${fmt.time(d.at)} · ${d.policy} · `, el('b', {}, d.kind),
      d.vmUuid ? ` · ${vmName(d.vmUuid)}` : d.hostId ? ` · host ${d.hostId}` : ''),
    el('div', {}, d.reason))));
}
