/* Charts of the shuixiao dashboards (Apache ECharts, served by the package).
 *
 * The page carries its data in <script type="application/json" id="chart-data"> (never executed, so
 * the Content-Security-Policy default-src 'self' holds) and marks each chart container with
 * data-chart="<kind>". Texts (series names, units) come translated in the data. Times arrive as local
 * wall-clock milliseconds of the instance's time zone and are drawn with useUTC, so every browser shows
 * the instance's local time.
 */
(function () {
  "use strict";

  var COLORS = {
    water: "#0f6fa8", reuse: "#1b8a5a", discharge: "#b7791f", grid: "#e6ebf0", ink: "#5b6b7b",
    good: "#1b8a5a", estimated: "#2a7fb8", suspect: "#d69e2e", bad: "#c0392b"
  };
  var LINK_STYLE = {
    measured: { opacity: 0.5 },
    inferred: { opacity: 0.3, borderType: "dashed", borderWidth: 1.2, borderColor: "#4a7fa5" },
    estimated: { opacity: 0.16, borderType: "dotted", borderWidth: 1.2, borderColor: "#8aa7bb" },
    missing: { opacity: 0.1, borderType: "dotted", borderWidth: 1, borderColor: "#c0392b" }
  };
  var charts = {};
  var LOCALE = document.documentElement.lang === "en" ? "EN" : "ZH";

  function base() {
    return {
      animation: false,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      tooltip: { trigger: "axis", renderMode: "richText", confine: true },
      grid: { left: 64, right: 20, top: 40, bottom: 48 }
    };
  }

  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) { return "–"; }
    var a = Math.abs(v);
    var digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
    return v.toLocaleString(undefined, { maximumFractionDigits: digits });
  }

  function valueAxis(name) {
    return {
      type: "value", name: name, nameTextStyle: { color: COLORS.ink, align: "right" }, scale: false,
      axisLabel: { formatter: fmt, color: COLORS.ink }, splitLine: { lineStyle: { color: COLORS.grid } }
    };
  }

  function timeAxis(window) {
    var axis = { type: "time", axisLabel: { color: COLORS.ink, hideOverlap: true } };
    if (window && window.length === 2) { axis.min = window[0]; axis.max = window[1]; }
    return axis;
  }

  /* --- enterprise: intake, reuse, discharge --- */
  function trendOption(trend, mode) {
    var daily = mode !== "monthly";
    var values = daily ? trend.daily : trend.monthly;
    var colors = { intake: COLORS.water, reuse: COLORS.reuse, discharge: COLORS.discharge };
    var option = base();
    option.legend = { top: 0, left: 0 };
    option.grid = { left: 64, right: 64, top: 56, bottom: 40 };
    option.xAxis = { type: "category", data: daily ? trend.days : trend.months, axisLabel: { color: COLORS.ink } };
    // Reuse is often ten times the intake (recirculating cooling): it gets the right-hand axis.
    option.yAxis = [valueAxis(trend.axes.left), valueAxis(trend.axes.right)];
    option.yAxis[1].splitLine = { show: false };
    option.yAxis[1].nameTextStyle = { color: COLORS.ink, align: "left" };
    option.series = trend.order.map(function (key) {
      return {
        name: trend.labels[key], type: daily ? "line" : "bar", data: values[key], connectNulls: false,
        yAxisIndex: key === "reuse" ? 1 : 0, showSymbol: false, itemStyle: { color: colors[key] },
        lineStyle: { width: 1.6 }, barMaxWidth: 22
      };
    });
    if (daily) { option.dataZoom = [{ type: "inside" }]; }
    return option;
  }

  /* --- water balance --- */
  function sankeyOption(sankey, viewIndex) {
    var shown = sankey.views ? sankey.views[viewIndex || 0] : sankey;
    var names = {};
    shown.nodes.forEach(function (n) { names[n.id] = n.label; });
    var links = shown.links;
    var option = base();
    option.tooltip = {
      trigger: "item", renderMode: "richText", confine: true,
      formatter: function (p) {
        if (p.dataType === "edge") {
          return names[p.data.source] + " → " + names[p.data.target] + "\n" + p.data.category + " · " +
            fmt(p.data.value) + " " + sankey.unit + " · " + (sankey.statusLabels[p.data.status] || p.data.status);
        }
        return names[p.name] + (p.value ? "\n" + fmt(p.value) + " " + sankey.unit : "");
      }
    };
    delete option.grid;
    option.series = [{
      type: "sankey", left: 8, right: 180, top: 8, bottom: 8, nodeGap: 12, nodeWidth: 10,
      draggable: false, layoutIterations: 32, emphasis: { focus: "adjacency" },
      label: {
        formatter: function (p) { return names[p.name]; }, fontSize: 11, color: "#1c2733",
        width: 170, overflow: "break"
      },
      labelLayout: { hideOverlap: true },
      itemStyle: { borderWidth: 0 },
      lineStyle: { color: "source", curveness: 0.5 },
      data: shown.nodes.map(function (n) {
        var item = { name: n.id, itemStyle: { color: n.color } };
        if (n.depth !== undefined) { item.depth = n.depth; }
        return item;
      }),
      links: links.map(function (l) {
        var style = Object.assign({ color: "source" }, LINK_STYLE[l.status] || LINK_STYLE.measured);
        return {
          source: l.source, target: l.target, value: l.value, status: l.status, category: l.category,
          lineStyle: style
        };
      })
    }];
    return option;
  }

  /* --- meter: raw and interval series --- */
  function flagSeries(flags, names) {
    return Object.keys(flags).filter(function (k) { return flags[k].length > 0; }).map(function (k) {
      return {
        name: names[k], type: "scatter", data: flags[k], symbolSize: 7, z: 5,
        itemStyle: { color: COLORS[k] || COLORS.bad }
      };
    });
  }

  function meterRawOption(data) {
    var option = base();
    option.useUTC = true;
    option.legend = { top: 0, left: 0 };
    option.xAxis = timeAxis(data.window);
    option.yAxis = valueAxis("");
    option.yAxis.scale = true;
    option.dataZoom = [{ type: "inside" }];
    option.series = [{
      name: data.raw.name, type: "line", data: data.raw.points, connectNulls: false, showSymbol: false,
      itemStyle: { color: COLORS.water }, lineStyle: { width: 1.4 }
    }].concat(flagSeries(data.raw.flags, data.flagNames));
    return option;
  }

  function meterIntervalOption(data) {
    var iv = data.interval;
    var option = base();
    option.useUTC = true;
    option.legend = { top: 0, left: 0 };
    option.xAxis = timeAxis(data.window);
    option.yAxis = valueAxis("");
    option.yAxis.scale = !data.volume;
    option.dataZoom = [{ type: "inside" }];
    var series = [{
      name: iv.name, type: data.volume ? "bar" : "line", data: iv.points, connectNulls: false,
      showSymbol: false, itemStyle: { color: COLORS.water }, barMaxWidth: 18
    }];
    if (!data.volume) {
      ["minimum", "maximum"].forEach(function (k) {
        series.push({
          name: iv.names[k], type: "line", data: iv[k], connectNulls: false, showSymbol: false,
          lineStyle: { width: 1, type: "dashed", color: "#8aa7bb" }, itemStyle: { color: "#8aa7bb" }
        });
      });
    }
    option.series = series.concat(flagSeries(iv.flags, data.flagNames));
    return option;
  }

  /* --- horizontal bars (park ranking, region) --- */
  function barsOption(bars) {
    var option = base();
    option.tooltip = { trigger: "axis", renderMode: "richText", confine: true, axisPointer: { type: "shadow" } };
    option.grid = { left: 8, right: 48, top: 32, bottom: 24, containLabel: true };
    option.legend = { top: 0, left: 0 };
    option.yAxis = { type: "category", data: bars.categories, inverse: true, axisLabel: { color: COLORS.ink } };
    option.xAxis = valueAxis(bars.unit);
    option.series = bars.series.map(function (s, i) {
      var item = {
        name: s.name, type: "bar", data: s.data, barMaxWidth: 16,
        itemStyle: { color: [COLORS.water, COLORS.reuse, COLORS.discharge][i % 3] },
        label: { show: true, position: "right", formatter: function (p) { return fmt(p.value); }, color: COLORS.ink }
      };
      if (i === 0 && bars.reference !== null && bars.reference !== undefined) {
        item.markLine = {
          symbol: "none", lineStyle: { color: COLORS.bad, type: "dashed" },
          label: { formatter: bars.referenceLabel, color: COLORS.bad, position: "start" },
          data: [{ xAxis: bars.reference }]
        };
      }
      return item;
    });
    return option;
  }

  var BUILDERS = {
    "trend": function (data) { return trendOption(data.trend, "daily"); },
    "sankey": function (data, el) { return sankeyOption(data[el.dataset.key || "sankey"], 0); },
    "meter-raw": meterRawOption,
    "meter-interval": meterIntervalOption,
    "bars": function (data, el) { return barsOption(data[el.dataset.key || "bars"]); }
  };

  function start() {
    var block = document.getElementById("chart-data");
    if (!block || !window.echarts) { return; }
    var data = JSON.parse(block.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var build = BUILDERS[el.dataset.chart];
      if (!build) { return; }
      var chart = window.echarts.init(el, null, { renderer: "canvas", locale: LOCALE });
      chart.setOption(build(data, el));
      charts[el.id] = chart;
      el.dataset.ready = "true";
    });
    document.querySelectorAll("[data-trend]").forEach(function (button) {
      button.addEventListener("click", function () {
        var chart = charts["trend-chart"];
        if (!chart) { return; }
        chart.setOption(trendOption(data.trend, button.dataset.trend), { notMerge: true });
        document.querySelectorAll("[data-trend]").forEach(function (b) {
          b.setAttribute("aria-pressed", b === button ? "true" : "false");
        });
      });
    });
    document.querySelectorAll("[data-view]").forEach(function (button) {
      button.addEventListener("click", function () {
        var chart = charts["sankey-chart"];
        if (!chart) { return; }
        chart.setOption(sankeyOption(data.sankey, Number(button.dataset.view)), { notMerge: true });
        document.querySelectorAll("[data-view]").forEach(function (b) {
          b.setAttribute("aria-pressed", b === button ? "true" : "false");
        });
      });
    });
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
