/* The reporting dashboard: draw each table's chart, and follow a refresh under way.
 *
 * The page works without this script: the tables beside the charts hold every
 * figure, and a refresh in progress says to reload the page.
 */
(function () {
  "use strict";

  // Okabe and Ito's palette: told apart by people with colour vision deficiency.
  var COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

  function drawChart(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var valueAxis = spec.horizontal ? "x" : "y";
    var labelAxis = spec.horizontal ? "y" : "x";
    var scales = {};
    scales[labelAxis] = { stacked: spec.stacked };
    scales[valueAxis] = { stacked: spec.stacked, beginAtZero: true };
    if (spec.percent) {
      scales[valueAxis].suggestedMax = 100;
      scales[valueAxis].ticks = { callback: function (value) { return value + "%"; } };
    }
    var datasets = spec.datasets.map(function (dataset, index) {
      var colour = COLOURS[index % COLOURS.length];
      return {
        label: dataset.label,
        data: dataset.data, // null: a hidden small number or no figure, drawn as a gap
        backgroundColor: colour,
        borderColor: colour,
        spanGaps: false,
      };
    });
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: scales,
        plugins: { legend: { display: datasets.length > 1, position: "bottom" } },
      },
    });
  }

  function followRefresh(panel) {
    var progress = document.getElementById("refresh-progress");
    var status = document.getElementById("refresh-status");
    var url = panel.dataset.runStatus;
    var timer = window.setInterval(function () {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.json();
        })
        .then(function (run) {
          progress.value = run.progress;
          progress.textContent = run.progress + "%";
          status.textContent = run.state_label + " (" + run.progress + "%)";
          if (run.finished) {
            window.clearInterval(timer);
            window.location.reload();
          }
        })
        .catch(function () {
          // A blip in the network: try again on the next tick.
        });
    }, 1000);
  }

  document.querySelectorAll("canvas[data-chart]").forEach(drawChart);
  var panel = document.querySelector("[data-run-status]");
  if (panel) {
    followRefresh(panel);
  }
})();
