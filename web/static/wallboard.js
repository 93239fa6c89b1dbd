// Wallboard: render a snapshot, then poll for new ones. No chart library: a canvas bar chart.
function fmtDuration(s) {
  if (s === null) return '';
  const h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
  return (h ? h + ':' : '') + String(m).padStart(2, '0') + ':' + String(sec).padStart(2, '0');
}
function pct(x) { return (100 * x).toFixed(2) + ' %'; }
function cell(tr, text, cls) { const td = tr.insertCell(); td.textContent = text; if (cls) td.className = cls; }
function gauge(rate, cap) {
  const el = document.createElement('meter');
  el.min = 0; el.max = Math.max(cap * 2, rate); el.high = cap; el.optimum = 0; el.value = rate;
  return el;
}
function render(s) {
  const states = document.getElementById('states');
  states.replaceChildren(...Object.entries(s.agents_by_state).map(([k, v]) => {
    const d = document.createElement('div'); d.className = 'card state-' + k; d.dataset.state = k;
    d.innerHTML = `${k.replace('_', ' ')}<div class="big">${v}</div>`; return d;
  }));
  document.getElementById('ringing').textContent = s.ringing;
  document.getElementById('waiting').textContent = s.waiting;
  const cb = document.querySelector('#campaigns tbody'); cb.replaceChildren();
  for (const c of s.campaigns) {
    const tr = cb.insertRow(); tr.dataset.campaign = c.name;
    cell(tr, c.name); cell(tr, c.mode); cell(tr, c.state, 'state'); cell(tr, c.in_flight); cell(tr, c.dial_level);
    for (const r of [c.abandon_24h, c.abandon_30d]) {
      const td = tr.insertCell(); td.append(gauge(r, c.cap), ' ' + pct(r)); if (r > c.cap) td.className = 'over';
    }
    cell(tr, pct(c.cap));
    cell(tr, c.pacing_note, 'note');  // why the dial level is what it is (the policy's words)
  }
  const ab = document.querySelector('#agents tbody'); ab.replaceChildren();
  for (const a of s.agents) {
    const tr = ab.insertRow(); tr.dataset.agent = a.name;
    cell(tr, a.name); cell(tr, a.state.replace('_', ' '), 'state state-' + a.state);
    cell(tr, a.reason, a.reason === 'phone disconnected' ? 'reason over' : 'reason');
    cell(tr, fmtDuration(a.seconds));
    const call = tr.insertCell();  // the call the agent is on: its detail page
    if (a.call_id !== null && a.call_id !== undefined) {
      const link = document.createElement('a'); link.href = callUrl + a.call_id; link.textContent = 'call ' + a.call_id;
      call.append(link);
    }
    if (monitorUrl) tr.insertCell().append(...(a.state === 'on_call' ? monitorButtons(a) : []));
  }
  const sb = document.querySelector('#sales tbody'); sb.replaceChildren();
  for (const t of s.sales_today) {
    const tr = sb.insertRow(); tr.dataset.team = t.team;
    cell(tr, t.team); cell(tr, t.agents); cell(tr, t.net); cell(tr, t.target);
    const td = tr.insertCell(); const m = document.createElement('meter');
    m.min = 0; m.max = 1; m.low = 0.999; m.optimum = 1; m.value = Math.min(1, t.share);
    td.append(m, ' ' + pct(t.share)); if (t.share < 1) td.className = 'under';
  }
  drawBars(document.getElementById('cph'), s.calls_per_hour);
  document.getElementById('updated').textContent = new Date(s.now).toLocaleTimeString();
}
function drawBars(canvas, rows) {
  const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height - 20;
  ctx.clearRect(0, 0, w, canvas.height);
  const peak = Math.max(1, ...rows.map(r => r.dials)), bw = w / rows.length;
  rows.forEach((r, i) => {
    ctx.fillStyle = '#9cc0e4'; ctx.fillRect(i * bw + 4, h - h * r.dials / peak, bw / 2 - 4, h * r.dials / peak);
    ctx.fillStyle = '#1f6f3f'; ctx.fillRect(i * bw + bw / 2, h - h * r.connects / peak, bw / 2 - 4, h * r.connects / peak);
    ctx.fillStyle = '#333'; ctx.font = '11px sans-serif'; ctx.fillText(r.hour, i * bw + 4, h + 14);
  });
}
// Listen, whisper, barge: one small form per mode, posted after a confirmation; the runner calls the
// team leader's phone (the seat chosen above the table).
const MODES = {listen: 'Listen to', whisper: 'Whisper to', barge: 'Barge in on'};
function monitorButtons(a) {
  return Object.entries(MODES).map(([mode, verb]) => {
    const form = document.createElement('form'); form.method = 'post'; form.action = monitorUrl;
    form.className = 'inline';
    const fields = {csrf_token: document.querySelector('meta[name=csrf-token]').content, agent_id: a.id, mode: mode,
                    seat_id: document.getElementById('monitor-seat').value};
    for (const [k, v] of Object.entries(fields)) {
      const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; form.append(i);
    }
    const b = document.createElement('button'); b.textContent = mode; b.dataset.mode = mode; form.append(b);
    form.addEventListener('submit', (e) => {
      form.elements.seat_id.value = document.getElementById('monitor-seat').value;
      if (!confirm(`${verb} ${a.name}'s call? Your phone will ring.`)) e.preventDefault();
    });
    return form;
  });
}
let callUrl = '/calls/';
let monitorUrl = null;
function wallboard(initial, url, calls, monitor) {
  if (calls) callUrl = calls;
  monitorUrl = monitor || null;
  render(initial);
  setInterval(async () => {
    const r = await fetch(url); if (r.ok) render(await r.json());
  }, 2000);
}
