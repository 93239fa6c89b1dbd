// Wallboard: the board is server-rendered and swapped by htmx on each change (web/live); its charts
// are drawn by charts.js. This only posts the supervisor's actions on an agent.
// Listen, whisper, barge (web.wallboard.monitoring): a button on an agent on a call posts one small
// form after a confirmation; the runner calls the phone chosen above the board. The form is built here
// with this page's CSRF token: the board itself is shared by every viewer of its scope.
// A supervisor's "pause" / "log out" of an agent (at once if free, after the call otherwise) works
// the same way, and so does "move" to the campaign chosen above the board.
// The confirmations' words come from the page, in its language (data-confirm-*, {name} placeholders).
function say(key, values) {
  const text = document.getElementById('board').dataset[key];
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? values[name] : all));
}
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
    const mode = say('mode' + b.dataset.mode[0].toUpperCase() + b.dataset.mode.slice(1), {});
    if (!confirm(say('confirmMonitor', {mode, agent: b.dataset.name}))) return;
    post(document.getElementById('board').dataset.monitorUrl,
         {agent_id: b.dataset.agent, mode: b.dataset.mode, seat_id: document.getElementById('monitor-seat').value});
  } else if (b.classList.contains('move')) {
    const to = document.getElementById('move-campaign');
    if (confirm(say('confirmMove', {agent: b.dataset.name, campaign: to.selectedOptions[0].text}))) {
      post(b.dataset.url, {campaign_id: to.value});
    }
  } else if (confirm(say(b.dataset.action === 'pause' ? 'confirmPause' : 'confirmLogout', {agent: b.dataset.name}))) {
    post(b.dataset.url, {action: b.dataset.action});
  }
});
