// Wallboard: the board is server-rendered and swapped by htmx on each change (web/live); this only
// draws the calls-per-hour bars from the canvas's data-bars (a canvas bar chart, no chart library).
function drawBars(canvas) {
  const rows = JSON.parse(canvas.dataset.bars);
  const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height - 20;
  ctx.clearRect(0, 0, w, canvas.height);
  const peak = Math.max(1, ...rows.map(r => r.dials)), bw = w / rows.length;
  rows.forEach((r, i) => {
    ctx.fillStyle = '#9cc0e4'; ctx.fillRect(i * bw + 4, h - h * r.dials / peak, bw / 2 - 4, h * r.dials / peak);
    ctx.fillStyle = '#1f6f3f'; ctx.fillRect(i * bw + bw / 2, h - h * r.connects / peak, bw / 2 - 4, h * r.connects / peak);
    ctx.fillStyle = '#333'; ctx.font = '11px sans-serif'; ctx.fillText(r.hour, i * bw + 4, h + 14);
  });
}
htmx.onLoad(root => {
  const canvas = root.id === 'cph' ? root : root.querySelector('#cph');
  if (canvas) drawBars(canvas);
});
// Listen, whisper, barge (web.wallboard.monitoring): a button on an agent on a call posts one small
// form after a confirmation; the runner calls the phone chosen above the board. The form is built here
// with this page's CSRF token: the board itself is shared by every viewer of its scope.
// A supervisor's "pause" / "log out" of an agent (at once if free, after the call otherwise) works
// the same way, and so does "move" to the campaign chosen above the board.
const MODES = {listen: 'Listen to', whisper: 'Whisper to', barge: 'Barge in on'};
function post(url, fields) {
  const form = document.createElement('form');
  form.method = 'post'; form.action = url;
  fields.csrf_token = document.querySelector('meta[name=csrf-token]').content;
  for (const [k, v] of Object.entries(fields)) {
    const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; form.append(i);
  }
  document.body.append(form);
  form.submit();
}
document.addEventListener('click', (e) => {
  const b = e.target.closest('button.monitor, button.force, button.move');
  if (!b) return;
  if (b.classList.contains('monitor')) {
    if (!confirm(`${MODES[b.dataset.mode]} ${b.dataset.name}'s call? Your phone will ring.`)) return;
    post(document.getElementById('board').dataset.monitorUrl,
         {agent_id: b.dataset.agent, mode: b.dataset.mode, seat_id: document.getElementById('monitor-seat').value});
  } else if (b.classList.contains('move')) {
    const to = document.getElementById('move-campaign');
    if (confirm(`Move ${b.dataset.name} to ${to.selectedOptions[0].text}? (After the call in progress, if any.)`)) {
      post(b.dataset.url, {campaign_id: to.value});
    }
  } else if (confirm(`${b.dataset.action} ${b.dataset.name}? (After the call in progress, if any.)`)) {
    post(b.dataset.url, {action: b.dataset.action});
  }
});
