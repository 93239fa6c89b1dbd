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
