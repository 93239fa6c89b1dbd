// Live pages (web/live): htmx refetches the parts when the server says they changed; between two
// changes only the clocks move. An element with data-since="<ISO time>" shows the time since then,
// as the server's `clock` filter writes it (m:ss, h:mm:ss past an hour).
function clockText(seconds) {
  const s = Math.max(0, Math.floor(seconds)), h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
setInterval(() => {
  const now = Date.now();
  document.querySelectorAll('[data-since]').forEach(el => {
    el.textContent = clockText((now - Date.parse(el.dataset.since)) / 1000);
  });
}, 1000);
