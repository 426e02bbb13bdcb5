/* Draws a preview page from window.PREVIEW (written by gen/preview/page.py): the layout,
   time series with uPlot, stats, gauges, bar gauges, tables, state timelines.
   Every decision about data (names, reductions, colours) was made in Python; this only draws. */
"use strict";

window.onerror = function (msg, src, line) {
  var b = document.body, prev = b.dataset.errors ? b.dataset.errors + "\n" : "";
  b.dataset.errors = prev + msg + " (" + (src || "") + ":" + line + ")";
};

var PREFIX = ["", "K", "M", "G", "T", "P"];
var BIN = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

function fixed(v, decimals) {
  if (decimals != null) return v.toFixed(decimals);
  var a = Math.abs(v);
  if (Number.isInteger(v)) return String(v);
  return a === 0 ? "0" : a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(2);
}

function scaled(v, base, names, decimals, sep) {
  var i = 0;
  while (Math.abs(v) >= base && i < names.length - 1) { v /= base; i++; }
  return fixed(v, decimals) + (sep == null ? " " : sep) + names[i];
}

function duration(v, decimals) {
  var a = Math.abs(v);
  if (a === 0) return "0 s";
  if (a < 1e-3) return fixed(v * 1e6, decimals) + " µs";
  if (a < 1) return fixed(v * 1e3, decimals) + " ms";
  if (a < 60) return fixed(v, decimals) + " s";
  if (a < 3600) return fixed(v / 60, decimals) + " min";
  if (a < 86400) return fixed(v / 3600, decimals) + " hour";
  return fixed(v / 86400, decimals) + " day";
}

/* A number in a Grafana unit, as a short text. */
function format(v, unit, decimals) {
  if (v == null || isNaN(v)) return "-";
  switch (unit) {
    case "percent": return fixed(v, decimals) + "%";
    case "percentunit": return fixed(v * 100, decimals) + "%";
    case "bytes": return scaled(v, 1024, BIN, decimals);
    case "decbytes": return scaled(v, 1000, ["B", "kB", "MB", "GB", "TB", "PB"], decimals);
    case "Bps": return scaled(v, 1024, BIN, decimals) + "/s";
    case "bps": return scaled(v, 1000, ["b", "kb", "Mb", "Gb", "Tb"], decimals) + "/s";
    case "s": return duration(v, decimals);
    case "ms": return duration(v / 1000, decimals);
    case "reqps": return scaled(v, 1000, PREFIX, decimals, "") + " req/s";
    case "ops": return scaled(v, 1000, PREFIX, decimals, "") + " ops/s";
    case "qps": return scaled(v, 1000, PREFIX, decimals, "") + " q/s";
    case "pps": return scaled(v, 1000, PREFIX, decimals, "") + " p/s";
    case "iops": return scaled(v, 1000, PREFIX, decimals, "") + " io/s";
    case "dateTimeAsIso": return new Date(v).toISOString().replace("T", " ").slice(0, 19);  /* ms, as Grafana */
    case "dateTimeFromNow": return duration((window.PREVIEW.now - v) / 1000, 0) + " ago";  /* now: the window's end */
    case "none": return fixed(v, decimals);
    default: return scaled(v, 1000, PREFIX, decimals, "").trim();
  }
}

/* Time axis ticks on whole minutes (the fixtures' steps are minutes; a live hour too). */
var MINUTES = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

/* A time as the axis shows it: hours and minutes (UTC), with the day when the span is longer. */
function clock(t, span) {
  var iso = new Date(t * 1000).toISOString();
  return span > 86400 ? iso.slice(5, 10) + " " + iso.slice(11, 16) : iso.slice(11, 16);
}

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

function message(body, text) { body.appendChild(el("div", "message", text)); }

/* Time series: one uPlot chart, the threshold steps drawn as lines (and bands for line+area). */
function drawTimeSeries(p, body) {
  if (!p.series.length) return false;
  var times = {};
  p.series.forEach(function (s) { s.points.forEach(function (pt) { times[pt[0]] = true; }); });
  var xs = Object.keys(times).map(Number).sort(function (a, b) { return a - b; });
  var index = {};
  xs.forEach(function (t, i) { index[t] = i; });
  var data = [xs];
  p.series.forEach(function (s) {
    var ys = xs.map(function () { return null; });
    s.points.forEach(function (pt) { ys[index[pt[0]]] = pt[1]; });
    data.push(ys);
  });
  var fmt = function (u, v) { return format(v, p.unit, p.decimals); };
  var series = [{}];
  p.series.forEach(function (s) {
    series.push({ label: s.name, stroke: s.color, width: 1.5, fill: s.color + "22", value: fmt, points: { show: false } });
  });
  var lows = [], highs = [];
  data.slice(1).forEach(function (ys) { ys.forEach(function (v) { if (v != null) { lows.push(v); highs.push(v); } }); });
  p.thresholds.forEach(function (t) { highs.push(t.value); lows.push(t.value); });
  var lo = Math.min.apply(null, lows), hi = Math.max.apply(null, highs);
  if (lo > 0) lo = 0;
  if (hi === lo) hi = lo + 1;
  var drawThresholds = function (u) {
    var ctx = u.ctx, left = u.bbox.left, width = u.bbox.width;
    p.thresholds.forEach(function (t, i) {
      var y = u.valToPos(t.value, "y", true);
      if (t.style.indexOf("area") >= 0) {
        var next = i + 1 < p.thresholds.length ? u.valToPos(p.thresholds[i + 1].value, "y", true) : u.bbox.top;
        ctx.fillStyle = t.color + "1f";
        ctx.fillRect(left, Math.min(y, next), width, Math.abs(y - next));
      }
      ctx.save();
      ctx.strokeStyle = t.color;
      ctx.lineWidth = 1.5;
      if (t.style.indexOf("dashed") >= 0) ctx.setLineDash([6, 4]);
      ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + width, y); ctx.stroke();
      ctx.restore();
    });
  };
  var rect = body.getBoundingClientRect();
  var legendRows = Math.min(3, Math.ceil(p.series.length / 3));
  var opts = {
    width: Math.max(100, rect.width - 4), height: Math.max(60, rect.height - 22 - legendRows * 18),
    series: series,
    scales: { x: { time: false }, y: { range: [lo, hi + (hi - lo) * 0.05] } },
    axes: [
      { stroke: "#8e8e8e", grid: { stroke: "#2c3235" }, font: "11px Helvetica, Arial, sans-serif", incrs: MINUTES,
        space: function (u, i, lo, hi) { return hi - lo > 86400 ? 110 : 50; },
        values: function (u, ts) { return ts.map(function (t) { return clock(t, u.scales.x.max - u.scales.x.min); }); } },
      { stroke: "#8e8e8e", grid: { stroke: "#2c3235" }, size: 84, font: "11px Helvetica, Arial, sans-serif", values: function (u, vs) {
          return vs.map(function (v) { return format(v, p.unit, p.decimals); }); } }
    ],
    legend: { show: true, live: false },
    cursor: { show: false },
    hooks: { draw: [drawThresholds] }
  };
  new uPlot(opts, data, body);
  return true;
}

/* State timeline: a lane per series, coloured where it has a value (mapped colour when one matches). */
function drawStateTimeline(p, body) {
  if (!p.series.length) return false;
  var t0 = Infinity, t1 = -Infinity;
  p.series.forEach(function (s) { s.points.forEach(function (pt) { t0 = Math.min(t0, pt[0]); t1 = Math.max(t1, pt[0]); }); });
  var span = Math.max(1, t1 - t0), lanes = el("div", "lanes");
  var colorOf = function (v) {
    for (var i = 0; i < p.mappings.length; i++) {
      var o = p.mappings[i].options || {}, hit = o[String(v)];
      if (hit && hit.color) return p.palette[hit.color] || hit.color;
    }
    return "#73BF69";
  };
  p.series.forEach(function (s) {
    var lane = el("div", "lane"), track = el("div", "track");
    lane.appendChild(el("div", "label", s.name));
    s.points.forEach(function (pt, i) {
      if (pt[1] == null) return;
      var next = i + 1 < s.points.length ? s.points[i + 1][0] : pt[0] + span / Math.max(1, s.points.length);
      var seg = el("div", "seg");
      seg.style.left = (100 * (pt[0] - t0) / span) + "%";
      seg.style.width = Math.max(0.3, 100 * (next - pt[0]) / span) + "%";
      seg.style.background = colorOf(pt[1]);
      track.appendChild(seg);
    });
    lane.appendChild(track);
    lanes.appendChild(lane);
  });
  body.appendChild(lanes);
  return true;
}

function valueText(p, v) { return v.text != null ? v.text : format(v.value, p.unit, p.decimals); }

/* Stat: a tile per series with its value (and name when there are several), in its colour. */
function drawStat(p, body) {
  var shown = p.values.filter(function (v) { return v.value != null; });
  if (!shown.length) { message(body, p.noValue); return false; }
  var box = el("div", "stats");
  shown.forEach(function (v) {
    var tile = el("div", "stat");
    var value = el("div", "value", valueText(p, v));
    if (p.colorMode === "background") { tile.style.background = v.color; tile.style.color = "#fff"; }
    else if (p.colorMode !== "none") value.style.color = v.color;
    var withName = p.textMode === "value_and_name" || p.textMode === "name" || (p.textMode === "auto" && shown.length > 1);
    if (p.textMode !== "name") tile.appendChild(value);
    if (withName) tile.appendChild(el("div", "name", v.name));
    box.appendChild(tile);
  });
  body.appendChild(box);
  return true;
}

function bounds(p) {
  var max = p.max != null ? p.max : (p.unit === "percent" ? 100 : p.unit === "percentunit" ? 1 :
    Math.max.apply(null, p.values.map(function (v) { return v.value || 0; }).concat([1e-9])));
  return [p.min != null ? p.min : 0, max];
}

/* Bar gauge: a bar per series, filled to its share of min..max, in its threshold colour. */
function drawBarGauge(p, body) {
  var shown = p.values.filter(function (v) { return v.value != null; });
  if (!shown.length) { message(body, p.noValue); return false; }
  var b = bounds(p), box = el("div", "bars");
  shown.forEach(function (v) {
    var row = el("div", "bar"), track = el("div", "track"), fill = el("div", "fill");
    fill.style.width = Math.max(0, Math.min(100, 100 * (v.value - b[0]) / (b[1] - b[0] || 1))) + "%";
    fill.style.background = v.color;
    track.appendChild(fill);
    row.appendChild(el("div", "label", v.name));
    row.appendChild(track);
    var num = el("div", "num", valueText(p, v));
    num.style.color = v.color;
    row.appendChild(num);
    box.appendChild(row);
  });
  body.appendChild(box);
  return true;
}

/* Gauge: an arc per series (SVG), filled to the value's share of min..max. */
function drawGauge(p, body) {
  var shown = p.values.filter(function (v) { return v.value != null; });
  if (!shown.length) { message(body, p.noValue); return false; }
  var b = bounds(p), box = el("div", "stats");
  shown.forEach(function (v) {
    var share = Math.max(0, Math.min(1, (v.value - b[0]) / (b[1] - b[0] || 1)));
    var a = Math.PI * (1 - share), x = 50 + 40 * Math.cos(a), y = 50 - 40 * Math.sin(a);
    var tile = el("div", "stat");
    tile.innerHTML = '<svg viewBox="0 0 100 60" width="100%" height="70%">' +
      '<path d="M10 50 A40 40 0 0 1 90 50" stroke="#22252b" stroke-width="10" fill="none"/>' +
      '<path d="M10 50 A40 40 0 0 1 ' + x.toFixed(2) + " " + y.toFixed(2) + '" stroke="' + v.color +
      '" stroke-width="10" fill="none"/></svg>';
    var value = el("div", "value", valueText(p, v));
    value.style.color = v.color;
    tile.appendChild(value);
    if (shown.length > 1) tile.appendChild(el("div", "name", v.name));
    box.appendChild(tile);
  });
  body.appendChild(box);
  return true;
}

/* Table: the merged rows Python made, numbers in their column's unit. */
function drawTable(p, body) {
  if (!p.table.rows.length) { message(body, "No data"); return false; }
  var t = el("table"), head = el("tr");
  p.table.columns.forEach(function (c) { head.appendChild(el("th", null, c)); });
  t.appendChild(head);
  p.table.rows.forEach(function (r) {
    var tr = el("tr");
    r.forEach(function (v, i) {
      var unit = p.table.units[i];
      tr.appendChild(el("td", unit ? "num" : null, unit ? format(v, unit, p.decimals) : (v == null ? "" : String(v))));
    });
    t.appendChild(tr);
  });
  body.appendChild(t);
  return true;
}

var DRAW = { timeseries: drawTimeSeries, "state-timeline": drawStateTimeline, stat: drawStat, gauge: drawGauge,
             bargauge: drawBarGauge, table: drawTable };

function place(node, css) { Object.keys(css).forEach(function (k) { node.style[k] = css[k]; }); }

function render(page) {
  var grid = document.getElementById("grid");
  grid.style.height = page.height + "px";
  page.panels.forEach(function (p) {
    if (p.type === "row") {
      var row = el("div", "row-header", p.title);
      place(row, p.css);
      grid.appendChild(row);
      return;
    }
    var node = el("section", "panel");
    node.dataset.panelId = p.id;
    node.dataset.panelType = p.type;
    place(node, p.css);
    node.appendChild(el("h2", null, p.title));
    var body = el("div", "body");
    node.appendChild(body);
    grid.appendChild(node);
    p.palette = page.colors;
    var state;
    try {
      if (p.error != null) { body.appendChild(el("div", "error", p.error)); state = "error"; }
      else if (!DRAW[p.type]) { message(body, "panel type " + p.type + " is not drawn by the preview"); state = "error"; }
      else state = DRAW[p.type](p, body) ? "data" : "empty";
    } catch (e) {
      body.appendChild(el("div", "error", "drawing failed: " + e));
      state = "error";
      window.onerror(String(e), "panel " + p.id, 0);
    }
    node.dataset.panelState = state;
  });
  document.body.dataset.rendered = "ok";
}

render(window.PREVIEW);
