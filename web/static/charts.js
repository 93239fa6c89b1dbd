// Charts (Chart.js, vendored: chart-4.6.1.umd.min.js): every <canvas class="chart"> is drawn from its
// data-chart, which the server renders (web/charts.py) from the figures of the table that describes the
// chart to screen readers. Parts swapped by htmx (the wallboard, the campaign page) are drawn as they
// load; a chart whose canvas has left the page is destroyed, so a wall TV's page does not grow all day.
(() => {
  const COLORS = ['#2f5d8c', '#1f6f3f', '#b7791f', '#a23b2a', '#6b4c9a', '#0f7c80', '#5a6472', '#9cc0e4'];
  const color = (i) => COLORS[i % COLORS.length];

  function draw(canvas) {
    const spec = JSON.parse(canvas.dataset.chart);
    const round = spec.type === 'doughnut';
    Chart.getChart(canvas)?.destroy();
    new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map((d, i) => ({
          ...d, backgroundColor: round ? spec.labels.map((_, j) => color(j)) : color(i),
          ...(round ? {} : {borderColor: color(i)}),  // a line's colour; bars draw no border
        })),
      },
      options: {
        animation: false, maintainAspectRatio: false, indexAxis: spec.horizontal ? 'y' : 'x',
        scales: round ? {} : {x: {stacked: spec.stacked, beginAtZero: true, ticks: {precision: 0}},
                              y: {stacked: spec.stacked, beginAtZero: true, ticks: {precision: 0}}},
        plugins: {legend: {position: 'bottom'}},
      },
    });
  }

  function drawAll(root) {
    for (const chart of Object.values(Chart.instances)) {
      if (!chart.canvas.isConnected) chart.destroy();
    }
    (root.matches?.('canvas.chart') ? [root] : root.querySelectorAll('canvas.chart')).forEach(draw);
  }

  if (window.htmx) htmx.onLoad(drawAll);
  else document.addEventListener('DOMContentLoaded', () => drawAll(document));
})();
