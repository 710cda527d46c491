/* Data-quality page: per-person bar charts (ECharts) of the complete rate and of update
   timeliness, each with the 95 % target as a line. Data comes from the page (json_script),
   no inline JS. */
(function () {
  "use strict";

  function bars(holderId, sourceId) {
    var holder = document.getElementById(holderId);
    var source = document.getElementById(sourceId);
    if (!holder || !source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    // One bar row per person (CSSOM, which a strict CSP allows, unlike style attributes).
    holder.style.height = Math.max(160, data.labels.length * 34 + 48) + "px";
    // Canvas and a rich-text tooltip: no HTML with style attributes (strict CSP).
    var chart = window.echarts.init(holder, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
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

  function draw() {
    bars("completeness-chart", "completeness-data");
    bars("dq-timeliness-chart", "dq-timeliness-data");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
