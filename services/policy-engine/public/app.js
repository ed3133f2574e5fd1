// The Ballast dashboard: sign in with an API token, then poll the /v1 API every 2 s and draw the panels.
import { api, ApiError, token } from './api.js';
import { clearCharts, updateCharts } from './charts.js';
import { renderDecisions, renderHosts, renderJobs, renderRecommendations, renderVms } from './panels.js';

const POLL_MS = 2000;
const $ = (sel) => document.querySelector(sel);
let timer;
const last = {}; // panel -> the JSON it was last drawn from (a panel is redrawn only when it changed)

function showSignIn(message = '') {
  clearTimeout(timer);
  token.clear();
  clearCharts();
  for (const k of Object.keys(last)) delete last[k];
  $('#dash').hidden = true;
  $('#signout').hidden = true;
  $('#signin').hidden = false;
  $('#signin-error').textContent = message;
  $('#status').textContent = '';
  $('#token').focus();
}

function showDashboard() {
  $('#signin').hidden = true;
  $('#dash').hidden = false;
  $('#signout').hidden = false;
  void poll();
}

/** Draws a panel when its data differs from what it shows. */
function draw(panel, data, render) {
  const json = JSON.stringify(data);
  if (last[panel] === json) return;
  last[panel] = json;
  render();
}

async function poll() {
  clearTimeout(timer);
  try {
    const [h, v, r, j, d] = await Promise.all([
      api('/hosts'), api('/vms'), api('/recommendations?state=pending'), api('/jobs?limit=20'), api('/decisions?limit=50'),
    ]);
    const names = new Map(v.vms.map((x) => [x.uuid, x.name]));
    draw('hosts', h.hosts, () => renderHosts(h.hosts));
    draw('vms', v.vms, () => renderVms(v.vms));
    updateCharts($('#charts'), v.vms, Date.now() / 1000);
    draw('recs', r.recommendations, () => renderRecommendations(r.recommendations, decide));
    draw('jobs', j.jobs, () => renderJobs(j.jobs));
    draw('decisions', d.decisions, () => renderDecisions(d.decisions, (u) => names.get(u) ?? u));
    $('#status').textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return showSignIn(`Signed out: ${e.message}`);
    $('#status').textContent = `cannot reach the engine: ${e.message}`;
  }
  timer = setTimeout(poll, POLL_MS);
}

/** Approve or reject a pending recommendation; a token below operator gets the 403 explained. */
async function decide(id, verb) {
  const msg = $('#recs-message');
  msg.classList.remove('error');
  try {
    const rec = await api(`/recommendations/${encodeURIComponent(id)}/${verb}`, { method: 'POST', body: {} });
    msg.textContent = verb === 'approve' ? `Approved: ${rec.vm} → ${rec.to}, job ${rec.jobId}` : `Rejected: ${rec.vm} → ${rec.to}`;
    void poll();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return showSignIn(`Signed out: ${e.message}`);
    msg.classList.add('error');
    msg.textContent = e instanceof ApiError && e.status === 403 ? `Cannot ${verb}: this needs the operator role (${e.message})` : `Cannot ${verb}: ${e.message}`;
  }
}

async function signIn(ev) {
  ev.preventDefault();
  const t = $('#token').value.trim();
  try {
    await api('/hosts', { bearer: t });
  } catch (e) {
    $('#signin-error').textContent = e instanceof ApiError && e.status === 401 ? `Token refused: ${e.message}` : `Cannot sign in: ${e.message}`;
    return;
  }
  token.set(t);
  $('#token').value = '';
  showDashboard();
}

$('#signin').addEventListener('submit', signIn);
$('#signout').addEventListener('click', () => showSignIn());
if (token.get()) showDashboard();
else showSignIn();
