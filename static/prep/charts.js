// Report charts. Each <canvas data-chart="funnel|histogram|items" data-source="/api/..."> is drawn
// with Chart.js (installed from npm, served as vendor/chart.js/) from the report's JSON API. The
// page's tables hold the same figures, so without JavaScript, or without Chart.js, nothing is lost.
(function () {
  "use strict";
  const canvases = document.querySelectorAll("canvas[data-chart]");
  if (!canvases.length) return;
  if (typeof window.Chart === "undefined") {
    canvases.forEach(function (canvas) { unavailable(canvas, "Charts are not installed here (scripts/setup-static.sh)."); });
    return;
  }

  const css = getComputedStyle(document.documentElement);
  const color = function (name, fallback) { return css.getPropertyValue(name).trim() || fallback; };
  const brand = color("--brand", "#1f5fbf");
  const ink = color("--ink", "#1d2433");
  const muted = color("--muted", "#5b6475");
  const line = color("--line", "#dde1e8");
  const ok = color("--ok", "#17743a");
  const bad = color("--bad", "#a4262c");
  const reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  Chart.defaults.color = muted;
  Chart.defaults.borderColor = line;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily || "system-ui, sans-serif";
  if (reduceMotion) Chart.defaults.animation = false;

  const percent = function (fraction) { return fraction === null ? "—" : Math.round(fraction * 100) + "%"; };

  const builders = {
    // Horizontal bars, stages top to bottom: how many ever reached each stage, and how many are there now.
    funnel: function (data) {
      return {
        type: "bar",
        data: {
          labels: data.stages.map(function (s) { return s.name; }),
          datasets: [
            { label: "Reached", data: data.stages.map(function (s) { return s.reached; }), backgroundColor: brand },
            { label: "At the stage now", data: data.stages.map(function (s) { return s.current; }), backgroundColor: ok },
          ],
        },
        options: {
          indexAxis: "y",
          maintainAspectRatio: false,
          scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { ticks: { color: ink } } },
          plugins: {
            tooltip: {
              callbacks: {
                afterBody: function (items) {
                  const stage = data.stages[items[0].dataIndex];
                  return stage.conversion === null ? "" : "Conversion from the previous stage: " + percent(stage.conversion);
                },
              },
            },
          },
        },
      };
    },
    // Attempts per percent range, with the pass mark's range onwards in the "pass" colour.
    histogram: function (data) {
      return {
        type: "bar",
        data: {
          labels: data.bins.map(function (b) { return b.from + "–" + b.to; }),
          datasets: [{
            label: "Graded attempts",
            data: data.bins.map(function (b) { return b.count; }),
            backgroundColor: data.bins.map(function (b) { return b.from >= data.pass_mark_percent ? ok : brand; }),
            categoryPercentage: 1.0,
            barPercentage: 0.95,
          }],
        },
        options: {
          maintainAspectRatio: false,
          scales: {
            x: { title: { display: true, text: "Percent score (pass mark " + data.pass_mark_percent + "%)" } },
            y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "Attempts" } },
          },
          plugins: { legend: { display: false } },
        },
      };
    },
    // One point per question: facility across, discrimination up; weak or negative ones in red.
    items: function (data) {
      const points = data.items.filter(function (i) { return i.mean_score !== null && i.discrimination !== null; });
      return {
        type: "scatter",
        data: {
          datasets: [{
            label: "Questions",
            data: points.map(function (i) { return { x: i.mean_score, y: i.discrimination, title: i.title }; }),
            pointBackgroundColor: points.map(function (i) { return i.discrimination < 0.2 ? bad : brand; }),
            pointRadius: 6,
            pointHoverRadius: 8,
          }],
        },
        options: {
          maintainAspectRatio: false,
          scales: {
            x: { min: 0, max: 1, title: { display: true, text: "Facility (mean score, 0 hard – 1 easy)" } },
            y: { min: -1, max: 1, title: { display: true, text: "Discrimination" } },
          },
          plugins: {
            legend: { display: false },
            tooltip: {
              callbacks: {
                label: function (ctx) {
                  const p = ctx.raw;
                  return p.title + ": facility " + p.x.toFixed(2) + ", discrimination " + p.y.toFixed(2);
                },
              },
            },
          },
        },
      };
    },
  };

  function unavailable(canvas, message) {
    const note = document.createElement("p");
    note.className = "muted chart-note";
    note.textContent = message + " The table has the figures.";
    canvas.replaceWith(note);
  }

  canvases.forEach(function (canvas) {
    const build = builders[canvas.dataset.chart];
    if (!build) return;
    fetch(canvas.dataset.source, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) { new Chart(canvas, build(data)); })
      .catch(function () { unavailable(canvas, "The chart could not be loaded."); });
  });
})();
