// Balloon actual and used over time, one small uPlot chart per VM; the history lives in this page only.
import uPlot from '/vendor/uPlot.esm.js';
import { el } from './dom.js';
import { usedMiB } from './panels.js';

const KEEP = 1800; // points per VM: an hour at the 2 s poll
const history = new Map(); // uuid -> {t: [], actual: [], used: [], chart, box}

function newChart(name, box) {
  const opts = {
    title: name,
    width: 290,
    height: 160,
    legend: { live: false },
    scales: { x: { time: true } },
    series: [
      {},
      { label: 'actual MiB', stroke: '#2f6fdf', width: 2 },
      { label: 'used MiB', stroke: '#e0702a', width: 2, fill: 'rgba(224,112,42,0.12)' },
    ],
    axes: [{ values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toLocaleTimeString()) }, { size: 45 }],
  };
  return new uPlot(opts, [[], [], []], box);
}

/** Adds this poll's balloon figures (time `nowSec`) and redraws; VMs no host reports any more are dropped. */
export function updateCharts(container, vms, nowSec) {
  const seen = new Set();
  for (const v of vms) {
    if (!v.balloon) continue;
    seen.add(v.uuid);
    let h = history.get(v.uuid);
    if (!h) {
      const box = el('div', { class: 'card chart', 'data-chart': v.name });
      container.append(box);
      h = { t: [], actual: [], used: [], box, chart: newChart(v.name, box) };
      history.set(v.uuid, h);
    }
    h.t.push(nowSec);
    h.actual.push(v.balloon.actualMiB);
    h.used.push(usedMiB(v.balloon));
    if (h.t.length > KEEP) for (const a of [h.t, h.actual, h.used]) a.shift();
    h.chart.setData([h.t, h.actual, h.used]);
  }
  for (const [uuid, h] of history) {
    if (seen.has(uuid)) continue;
    h.chart.destroy();
    h.box.remove();
    history.delete(uuid);
  }
}

/** Forgets every chart (on sign-out). */
export function clearCharts() {
  for (const h of history.values()) {
    h.chart.destroy();
    h.box.remove();
  }
  history.clear();
}
