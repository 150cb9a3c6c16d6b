/* The network map of a leak event (Apache ECharts, served by the package).
 *
 * Reads the "leak_map" entry of <script type="application/json" id="chart-data"> and draws it in the
 * element with data-chart="leak-map": pipes as lines in the coordinates of the EPANET file (both axes at
 * the same scale), sources as squares, the pipes within the stated distance uncertainty of the best
 * suspect shaded, and the suspects highlighted by rank with their scores. Texts come translated.
 */
(function () {
  "use strict";

  var COLORS = { pipe: "#9aa8b6", pump: "#2a7fb8", zone: "#ffe08a", best: "#c0392b", other: "#e67e22",
                 node: "#7b8a99", source: "#0f6fa8", ink: "#5b6b7b" };

  function extent(points) {
    var xs = points.map(function (p) { return p[0]; });
    var ys = points.map(function (p) { return p[1]; });
    return [Math.min.apply(null, xs), Math.max.apply(null, xs), Math.min.apply(null, ys), Math.max.apply(null, ys)];
  }

  /* axis limits with one scale on both axes, so the network keeps its shape */
  function limits(points, width, height) {
    var e = extent(points);
    var dx = Math.max(e[1] - e[0], 1e-9), dy = Math.max(e[3] - e[2], 1e-9);
    var scale = Math.max(dx / Math.max(width, 1), dy / Math.max(height, 1)) * 1.08;
    var cx = (e[0] + e[1]) / 2, cy = (e[2] + e[3]) / 2;
    return { x: [cx - scale * width / 2, cx + scale * width / 2], y: [cy - scale * height / 2, cy + scale * height / 2] };
  }

  function fmt(v) { return (Math.round(v * 1000) / 1000).toString(); }

  function option(map, el) {
    var grid = { left: 8, right: 8, top: 36, bottom: 8 };
    var points = map.nodes.map(function (n) { return [n[0], n[1]]; });
    var box = limits(points, el.clientWidth - grid.left - grid.right, el.clientHeight - grid.top - grid.bottom);
    var L = map.labels;
    var pipes = map.pipes.filter(function (p) { return !p.zone; });
    var zone = map.pipes.filter(function (p) { return p.zone; });
    var series = [
      { name: L.pipes, type: "lines", coordinateSystem: "cartesian2d", z: 1,
        itemStyle: { color: COLORS.pipe }, lineStyle: { color: COLORS.pipe },
        data: pipes.map(function (p) {
          return { name: p.id, coords: p.coords,
                   lineStyle: { color: p.kind === "pipe" ? COLORS.pipe : COLORS.pump, width: p.kind === "pipe" ? 1.4 : 2.4 } };
        }) },
      { name: L.zone, type: "lines", coordinateSystem: "cartesian2d", z: 2, itemStyle: { color: COLORS.zone },
        lineStyle: { color: COLORS.zone, width: 12, opacity: 0.9 },
        data: zone.map(function (p) { return { name: p.id, coords: p.coords }; }) },
      { name: L.nodes, type: "scatter", z: 3, symbolSize: function (v) { return v[3] === "junction" ? 4 : 12; },
        data: map.nodes.map(function (n) {
          return { value: n, name: n[2], symbol: n[3] === "junction" ? "circle" : "rect",
                   itemStyle: { color: n[3] === "junction" ? COLORS.node : COLORS.source } };
        }) },
      { name: L.suspects, type: "lines", coordinateSystem: "cartesian2d", z: 4,
        itemStyle: { color: COLORS.other }, lineStyle: { color: COLORS.other },
        data: map.suspects.filter(function (s) { return s.coords.length === 2; }).map(function (s) {
          return { name: s.id, coords: s.coords, rank: s.rank, score: s.score,
                   lineStyle: { color: s.rank === 1 ? COLORS.best : COLORS.other, width: s.rank === 1 ? 6 : 4 } };
        }) },
      { name: L.best, type: "scatter", z: 5, itemStyle: { color: COLORS.best }, symbolSize: 20,
        label: { show: true, formatter: function (p) { return "#" + p.data.rank; }, color: "#fff", fontSize: 10 },
        data: map.suspects.map(function (s) {
          var n = s.coords.length, x = 0, y = 0;
          s.coords.forEach(function (c) { x += c[0] / n; y += c[1] / n; });
          return { value: [x, y], name: s.id, rank: s.rank, score: s.score,
                   itemStyle: { color: s.rank === 1 ? COLORS.best : COLORS.other } };
        }) }
    ];
    return {
      animation: false,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      legend: { top: 0, left: 0, data: [L.pipes, L.zone, L.suspects, L.best] },
      grid: grid,
      xAxis: { type: "value", min: box.x[0], max: box.x[1], show: false },
      yAxis: { type: "value", min: box.y[0], max: box.y[1], show: false },
      tooltip: { trigger: "item", renderMode: "richText", confine: true,
        formatter: function (p) {
          var d = p.data || {};
          if (d.rank) { return L.rank + " " + d.rank + " · " + p.name + " · " + L.score + " " + fmt(d.score); }
          return p.name;
        } },
      dataZoom: [{ type: "inside", xAxisIndex: 0, filterMode: "none" }, { type: "inside", yAxisIndex: 0, filterMode: "none" }],
      series: series
    };
  }

  function start() {
    var block = document.getElementById("chart-data");
    var el = document.querySelector("[data-chart='leak-map']");
    if (!block || !el || !window.echarts) { return; }
    var map = JSON.parse(block.textContent).leak_map;
    if (!map) { return; }
    var locale = document.documentElement.lang === "en" ? "EN" : "ZH";
    var chart = window.echarts.init(el, null, { renderer: "canvas", locale: locale });
    chart.setOption(option(map, el));
    el.dataset.ready = "true";
    window.addEventListener("resize", function () { chart.resize(); chart.setOption(option(map, el)); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
