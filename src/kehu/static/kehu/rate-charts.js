/* Rate charts (timeliness report, data-quality page): a horizontal bar per person with the
   95 % target as a dashed line. Each <div data-rate-chart="ID"> draws the data of the
   json_script element ID: {labels, rates, target, titles: {rate, target}}. No inline JS. */
(function () {
  "use strict";

  function draw(holder) {
    var source = document.getElementById(holder.dataset.rateChart);
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    // One bar row per person (CSSOM, which a strict CSP allows, unlike style attributes).
    holder.style.height = Math.max(160, data.labels.length * 34 + 48) + "px";
    // Canvas, and a tooltip drawn on it: no HTML with style attributes, so a strict
    // Content-Security-Policy (no 'unsafe-inline' styles) does not break the chart.
    var chart = window.echarts.init(holder, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      // Room on the right for the "100 %" labels.
      grid: { left: 8, right: 48, top: 16, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "axis",
        renderMode: "richText",
        axisPointer: { type: "shadow" },
        valueFormatter: function (value) { return value + " %"; }
      },
      xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value} %" } },
      yAxis: { type: "category", data: data.labels, inverse: true, axisTick: { show: false } },
      series: [{
        name: data.titles.rate,
        type: "bar",
        barMaxWidth: 18,
        data: data.rates.map(function (rate) {
          // Below target in red, on target in green (the same colours as the tables).
          return { value: rate, itemStyle: { color: rate < data.target ? "#d9463b" : "#2f9e5b" } };
        }),
        label: { show: true, position: "right", formatter: "{c} %" },
        markLine: {
          symbol: "none",
          silent: true,
          lineStyle: { color: "#1d2636", type: "dashed" },
          label: { formatter: data.titles.target + " {c} %", position: "insideEndTop" },
          data: [{ xAxis: data.target }]
        }
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawAll() {
    document.querySelectorAll("[data-rate-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
