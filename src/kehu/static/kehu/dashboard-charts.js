/* Sales dashboard charts. Each <div data-dashboard-chart="KIND" data-source="ID"> draws the
   json_script element ID; clicking a slice or bar opens the list behind it (the URL comes with
   the data). Canvas renderer and rich-text tooltips: nothing that a strict CSP would block. */
(function () {
  "use strict";

  function go(url) {
    if (url) window.location.assign(url);
  }

  var builders = {
    pie: function (data) {
      return {
        tooltip: { trigger: "item", renderMode: "richText", formatter: "{b}: {c} ({d}%)" },
        legend: { type: "scroll", bottom: 0 },
        series: [{
          name: data.title, type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"],
          data: data.items.map(function (item) { return { name: item.name, value: item.value, url: item.url }; }),
          label: { formatter: "{b}\n{d}%" }
        }]
      };
    },
    funnel: function (data) {
      return {
        tooltip: { trigger: "item", renderMode: "richText", formatter: "{b}: {c}" },
        series: [{
          name: data.title, type: "funnel", sort: "none", left: "10%", width: "80%", gap: 2, minSize: "20%",
          data: data.items.map(function (item) { return { name: item.name, value: item.value, url: item.url }; }),
          label: { position: "inside", formatter: "{b}: {c}" }
        }]
      };
    },
    pipeline: function (data) {
      return {
        tooltip: { trigger: "axis", renderMode: "richText", axisPointer: { type: "shadow" } },
        legend: { bottom: 0 },
        grid: { left: 8, right: 8, top: 24, bottom: 32, containLabel: true },
        xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 4 ? 20 : 0 } },
        yAxis: [{ type: "value", minInterval: 1 }, { type: "value", splitLine: { show: false } }],
        series: [
          { name: data.titles.count, type: "bar", data: data.counts, barMaxWidth: 28 },
          { name: data.titles.weighted, type: "line", yAxisIndex: 1, data: data.weighted.map(Number) }
        ]
      };
    },
    won_lost: function (data) {
      return {
        tooltip: { trigger: "axis", renderMode: "richText", axisPointer: { type: "shadow" } },
        legend: { bottom: 0 },
        color: ["#2f9e5b", "#d9463b"],
        grid: { left: 8, right: 8, top: 24, bottom: 32, containLabel: true },
        xAxis: { type: "category", data: data.labels },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: data.titles.won, type: "bar", stack: "closed", data: data.won, barMaxWidth: 24 },
          { name: data.titles.lost, type: "bar", stack: "closed", data: data.lost, barMaxWidth: 24 }
        ]
      };
    }
  };

  function urlFor(kind, data, params) {
    if (kind === "pie" || kind === "funnel") return params.data && params.data.url;
    if (kind === "pipeline") return data.urls[params.dataIndex];
    if (kind === "won_lost") {
      return (params.seriesIndex === 0 ? data.won_urls : data.lost_urls)[params.dataIndex];
    }
    return null;
  }

  function draw(holder) {
    var kind = holder.dataset.dashboardChart;
    var source = document.getElementById(holder.dataset.source);
    if (!source || !window.echarts || !builders[kind]) return;
    var data = JSON.parse(source.textContent);
    holder.style.height = "280px"; // CSSOM: allowed under the CSP, unlike style attributes
    var chart = window.echarts.init(holder, null, { renderer: "canvas" });
    var option = builders[kind](data);
    option.animation = false;
    chart.setOption(option);
    chart.on("click", function (params) { go(urlFor(kind, data, params)); });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawAll() {
    document.querySelectorAll("[data-dashboard-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
