"""The latent explorer of report.html: sliders over precomputed traversals and a clinical-profile picker, offline.

:func:`explorer_html` returns one HTML section: the data of
:func:`vaescan.analysis.explorer.explorer_data` (one entry per SCAN run) embedded
as JSON in a ``<script type="application/json">`` element, and a small vanilla
JavaScript that draws the 12 leads as inline SVG on ECG paper (25 mm/s,
10 mm/mV; small box 40 ms x 0.1 mV, large box 200 ms x 0.5 mV; limb leads in
one row, chest leads in the next, each row as tall as its largest beat; time
from the QRS in ms, amplitude in mV, both labelled). No external script, style, font or
link: the page works from the file, offline.

- **Factor traversal**: one slider per factor (steps in sd of the factor);
  moving one redraws the decoded beat (black) over the beat with every factor
  at its mean (grey), and a table gives both beats' measures (intervals, axis,
  amplitudes as vaescan's delineation reads them) and the change. One factor moves at a time, the others stay at their
  mean, as in a traversal: the beats are the decoder's own outputs, precomputed,
  not an interpolation.
- **Clinical profile**: a label (alone), sex and age (as SCAN models them)
  pick a profile; SCAN's generated beat (black) is drawn over the reference
  profile's (``NORM`` or no label, same sex and age; grey).

With ``#selftest`` in the page's address the script checks itself after
drawing: it moves the first slider to its end and picks another profile
(and, with several runs, switches to the second), compares the drawn traces
before and after, and writes the result (any error caught on the page, the
explorer's box on the page in CSS pixels) as JSON into
``<pre id="xp-selftest">``, which a headless browser's ``--dump-dom`` reads back
(``tests/report/test_explorer_browser.py``).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence

NO_RUN = ("No VAE-SCAN run was given to <code>vaescan report</code>, so there is no latent explorer here "
          "(give a <code>train-scan</code> run folder to add it).")

ERROR_CATCHER = """<script>
window.__xpErrors = [];
window.addEventListener("error", function (e) { window.__xpErrors.push(String(e.message || e)); });
window.addEventListener("unhandledrejection", function (e) { window.__xpErrors.push(String(e.reason)); });
(function () {
  var original = console.error;
  console.error = function () {
    window.__xpErrors.push(Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
})();
</script>"""

STYLE = """<style>
#explorer .xp-panel { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
#explorer .xp-ecg { flex: 1 1 38em; min-width: 28em; }
#explorer .xp-ecg svg { width: 100%; height: auto; background: #fff; }
#explorer .xp-controls { flex: 0 1 22em; font-size: 0.85em; }
#explorer .xp-sliders { max-height: 26em; overflow-y: auto; }
#explorer table.xp-measures { font-size: 0.95em; margin-top: 0.8em; }
#explorer table.xp-measures td + td { text-align: right; }
#explorer .xp-controls label { display: block; margin: 0.2em 0; }
#explorer .xp-controls input[type=range] { width: 100%; }
#explorer .xp-readout { font-size: 0.85em; margin: 0.3em 0; }
#explorer select { margin-left: 0.5em; }
</style>"""

BODY = """<div class="xp-run" id="xp-run-box"></div>
<h3>Factor traversal</h3>
<div class="xp-panel">
  <div class="xp-ecg"><div id="xp-trav"></div><p class="xp-readout" id="xp-trav-readout"></p></div>
  <div class="xp-controls"><div class="xp-sliders" id="xp-sliders"></div>
    <table class="xp-measures" id="xp-trav-measures"></table></div>
</div>
<h3>Clinical profile: SCAN's generated beat</h3>
<div class="xp-panel">
  <div class="xp-ecg"><div id="xp-prof"></div><p class="xp-readout" id="xp-prof-readout"></p></div>
  <div class="xp-controls"><div id="xp-pick"></div>
    <table class="xp-measures" id="xp-prof-measures"></table></div>
</div>
<pre id="xp-selftest" hidden></pre>"""

SCRIPT = r"""<script>
(function () {
  "use strict";
  var CODE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var INDEX = {};
  for (var k = 0; k < CODE.length; k++) { INDEX[CODE.charAt(k)] = k; }
  var LAYOUT = [["I", "II", "III", "aVR", "aVL", "aVF"], ["V1", "V2", "V3", "V4", "V5", "V6"]];
  var MM_PER_S = 25, MM_PER_MV = 10, LEFT = 11, TOP = 2, GAP = 3, BOTTOM = 9;

  function decodeLead(text, unit) {
    var out = [], acc = 0, u = 0, scale = 1;
    for (var i = 0; i < text.length; i++) {
      var bits = INDEX[text.charAt(i)];
      u += (bits & 31) * scale;
      scale *= 32;
      if (bits < 32) {
        acc += (u % 2 === 0) ? u / 2 : -(u + 1) / 2;
        out.push(Math.round(acc) * unit);
        u = 0; scale = 1;
      }
    }
    return out;
  }
  function decodeBeat(leads, unit) { return leads.map(function (t) { return decodeLead(t, unit); }); }
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function fmt(v, d) { return (v > 0 ? "+" : "") + v.toFixed(d); }

  function prepare(run) {
    var unit = run.unit_mv, beats = [];
    run.mean = decodeBeat(run.mean_beat, unit);
    run.factors.forEach(function (f) { f.decoded = f.beats.map(function (b) { return decodeBeat(b, unit); }); });
    run.profiles.items.forEach(function (p) { p.decoded = decodeBeat(p.beat, unit); });
    beats.push(run.mean);
    run.factors.forEach(function (f) { f.decoded.forEach(function (b) { beats.push(b); }); });
    run.profiles.items.forEach(function (p) { beats.push(p.decoded); });
    run.t0 = run.t0_ms;
    run.t1 = run.t0_ms + run.mean[0].length * 1000 / run.fs_hz;
    var standard = LAYOUT.every(function (row) {
      return row.every(function (l) { return run.leads.indexOf(l) >= 0; });
    });
    var grid = [];
    if (standard) {
      grid = LAYOUT.map(function (row) { return row.map(function (l) { return run.leads.indexOf(l); }); });
    } else {
      for (var i = 0; i < run.leads.length; i += 6) {
        var cells = [];
        for (var j = i; j < Math.min(i + 6, run.leads.length); j++) { cells.push(j); }
        grid.push(cells);
      }
    }
    // one amplitude range per row (every beat the row can show), whole 0.5 mV, at least -0.5..+0.5 mV
    run.rows = grid.map(function (leads) {
      var lo = -0.5, hi = 0.5;
      beats.forEach(function (beat) {
        leads.forEach(function (l) {
          beat[l].forEach(function (v) { if (v < lo) { lo = v; } if (v > hi) { hi = v; } });
        });
      });
      return {leads: leads, ymin: Math.max(Math.floor(lo * 2) / 2, -6), ymax: Math.min(Math.ceil(hi * 2) / 2, 6)};
    });
    run.rowOf = {};
    run.rows.forEach(function (row) { row.leads.forEach(function (l) { run.rowOf[l] = row; }); });
    return run;
  }

  function paper(run) {
    var w = (run.t1 - run.t0) / 1000 * MM_PER_S, parts = [], y0 = TOP;
    var width = LEFT + Math.max.apply(null, run.rows.map(function (r) { return r.leads.length; })) * (w + GAP);
    run.rows.forEach(function (row) { row.top = y0; y0 += (row.ymax - row.ymin) * MM_PER_MV + GAP; });
    var height = y0 - GAP + BOTTOM;
    parts.push('<svg viewBox="0 0 ' + width.toFixed(1) + " " + height.toFixed(1) +
               '" role="img" aria-label="12-lead beat on ECG paper" font-family="sans-serif">');
    run.rows.forEach(function (row, r) {
      var h = (row.ymax - row.ymin) * MM_PER_MV, last = r === run.rows.length - 1;
      row.leads.forEach(function (lead, c) {
        var x0 = LEFT + c * (w + GAP), s, t;
        parts.push('<g transform="translate(' + x0.toFixed(2) + "," + row.top.toFixed(2) + ')">');
        for (t = Math.ceil(run.t0 / 40) * 40; t <= run.t1 + 1e-9; t += 40) {
          var x = (t - run.t0) / 1000 * MM_PER_S, big = Math.abs(t % 200) < 1e-6;
          parts.push('<line x1="' + x.toFixed(2) + '" x2="' + x.toFixed(2) + '" y1="0" y2="' + h.toFixed(2) +
                     '" stroke="' + (big ? "#e3a0a0" : "#f6d5d5") + '" stroke-width="' + (big ? 0.25 : 0.12) + '"/>');
        }
        for (s = Math.round(row.ymin * 10); s <= Math.round(row.ymax * 10); s++) {
          var y = (row.ymax - s / 10) * MM_PER_MV, bigy = s % 5 === 0;
          parts.push('<line x1="0" x2="' + w.toFixed(2) + '" y1="' + y.toFixed(2) + '" y2="' + y.toFixed(2) +
                     '" stroke="' + (bigy ? "#e3a0a0" : "#f6d5d5") + '" stroke-width="' + (bigy ? 0.25 : 0.12) + '"/>');
        }
        parts.push('<text x="1" y="3" font-size="2.6" fill="#333">' + esc(run.leads[lead]) + "</text>");
        parts.push('<path class="xp-ref" data-lead="' + lead +
                   '" fill="none" stroke="#9a9a9a" stroke-width="0.35" d=""/>');
        parts.push('<path class="xp-trace" data-lead="' + lead +
                   '" fill="none" stroke="#000" stroke-width="0.4" d=""/>');
        if (c === 0) {
          for (s = Math.ceil(row.ymin); s <= Math.floor(row.ymax); s++) {
            parts.push('<text x="-1" y="' + ((row.ymax - s) * MM_PER_MV + 0.8).toFixed(2) +
                       '" font-size="2.2" text-anchor="end" fill="#333">' + s + "</text>");
          }
        }
        if (last) {
          for (t = Math.ceil(run.t0 / 200) * 200; t <= run.t1 + 1e-9; t += 200) {
            var first = c === 0, end = c === row.leads.length - 1;
            if ((t - run.t0 < 1e-6 && !first) || (run.t1 - t < 1e-6 && !end)) { continue; }
            parts.push('<text x="' + ((t - run.t0) / 1000 * MM_PER_S).toFixed(2) + '" y="' + (h + 3).toFixed(2) +
                       '" font-size="2" text-anchor="middle" fill="#333">' + t + "</text>");
          }
        }
        parts.push("</g>");
      });
    });
    var midY = (TOP + y0 - GAP) / 2;
    parts.push('<text x="2.5" y="' + midY.toFixed(1) + '" font-size="2.4" fill="#333" text-anchor="middle" ' +
               'transform="rotate(-90 2.5 ' + midY.toFixed(1) + ')">amplitude (mV)</text>');
    parts.push('<text x="' + (LEFT + (width - LEFT) / 2).toFixed(1) + '" y="' + (height - 1).toFixed(1) +
               '" font-size="2.4" fill="#333" text-anchor="middle">time from the QRS (ms); 25 mm/s, 10 mm/mV: ' +
               'small box 40 ms x 0.1 mV</text>');
    parts.push("</svg>");
    return parts.join("");
  }

  function pathOf(run, values, lead) {
    var dt = 1000 / run.fs_hz, pts = [], ymax = run.rowOf[lead].ymax;
    for (var i = 0; i < values.length; i++) {
      var x = (i * dt) / 1000 * MM_PER_S, y = (ymax - values[i]) * MM_PER_MV;
      pts.push((i ? "L" : "M") + x.toFixed(2) + "," + y.toFixed(2));
    }
    return pts.join("");
  }

  function draw(box, run, beat, reference) {
    box.querySelectorAll("path.xp-trace").forEach(function (p) {
      var lead = +p.getAttribute("data-lead");
      p.setAttribute("d", pathOf(run, beat[lead], lead));
    });
    box.querySelectorAll("path.xp-ref").forEach(function (p) {
      var lead = +p.getAttribute("data-lead");
      p.setAttribute("d", reference ? pathOf(run, reference[lead], lead) : "");
    });
  }

  function measures(table, run, black, grey) {
    var rows = ["<tr><th>measured on the beat</th><th>black</th>" + (grey ? "<th>grey</th><th>change</th>" : "") +
                "</tr>"];
    function cell(v, d) { return v === null || v === undefined ? "-" : v.toFixed(d); }
    run.measure_labels.forEach(function (label, i) {
      var d = /\(mV\)$/.test(label) ? 2 : 0, b = black[i], g = grey ? grey[i] : null, change = "-";
      if (grey && b !== null && g !== null) {
        change = Math.abs(b - g) < 0.5 * Math.pow(10, -d) ? "0" : fmt(b - g, d);
      }
      rows.push("<tr><td>" + esc(label) + "</td><td>" + cell(b, d) + "</td>" +
                (grey ? "<td>" + cell(g, d) + "</td><td>" + change + "</td>" : "") + "</tr>");
    });
    table.innerHTML = rows.join("");
  }

  function traversal(run) {
    var box = document.getElementById("xp-trav"), sliders = document.getElementById("xp-sliders");
    var readout = document.getElementById("xp-trav-readout"), mid = (run.steps_sd.length - 1) / 2;
    var table = document.getElementById("xp-trav-measures");
    box.innerHTML = paper(run);
    if (!run.factors.length) {
      sliders.innerHTML = "<p>No active factor: every factor's KL is below the threshold.</p>";
      draw(box, run, run.mean, null);
      measures(table, run, run.mean_measures, null);
      readout.textContent = "Every factor at its mean.";
      return;
    }
    var html = run.factors.map(function (f, k) {
      return '<label>' + esc(f.name) + ' <small>(KL ' + f.kl_nats.toFixed(2) + ' nats)</small>: <output>0 SD</output>' +
             '<input type="range" min="0" max="' + (run.steps_sd.length - 1) + '" step="1" value="' + mid +
             '" data-factor="' + k + '" aria-label="' + esc(f.name) + ' in sd"></label>';
    }).join("");
    if (run.inactive) {
      html += "<p>" + run.inactive + " inactive factor(s) left out (KL below the VAE's threshold).</p>";
    }
    if (run.capped) {
      html += "<p>" + run.capped + " active factor(s) of lowest KL left out to keep the report small.</p>";
    }
    sliders.innerHTML = html;
    function update(moved) {
      var shown = null;
      sliders.querySelectorAll("input[type=range]").forEach(function (input) {
        if (moved && input !== moved) { input.value = mid; }
        var k = +input.getAttribute("data-factor"), s = run.steps_sd[+input.value];
        input.parentNode.querySelector("output").textContent = (s === 0 ? "0" : fmt(s, 2)) + " SD";
        if (+input.value !== mid) { shown = {factor: run.factors[k], step: +input.value, sd: s}; }
      });
      if (shown) {
        draw(box, run, shown.factor.decoded[shown.step], run.mean);
        measures(table, run, shown.factor.measures[shown.step], run.mean_measures);
        readout.textContent = shown.factor.name + " at " + fmt(shown.sd, 2) + " SD (the factor's SD over the " +
          "training beats: " + shown.factor.sd + "), the other factors at their mean: black. " +
          "Every factor at its mean: grey.";
      } else {
        draw(box, run, run.mean, null);
        measures(table, run, run.mean_measures, null);
        readout.textContent = "Every factor at its mean. Move a slider: one factor moves at a time, " +
          "the others stay at their mean.";
      }
    }
    sliders.oninput = function (e) { if (e.target.type === "range") { update(e.target); } };
    update(null);
  }

  function profiles(run) {
    var box = document.getElementById("xp-prof"), pick = document.getElementById("xp-pick");
    var readout = document.getElementById("xp-prof-readout"), items = run.profiles.items;
    var table = document.getElementById("xp-prof-measures");
    box.innerHTML = paper(run);
    if (!items.length) { pick.textContent = "SCAN models no clinical variable."; return; }
    var labels = [], keys = Object.keys(items[0].values).filter(function (v) {
      return v === "sex" || items.some(function (p) { return p.values[v] !== 0 && p.values[v] !== 1; });
    });
    items.forEach(function (p) { if (labels.indexOf(p.label) < 0) { labels.push(p.label); } });
    var reference = labels.indexOf("NORM") >= 0 ? "NORM" : labels[0];
    function options(name, values, show) {
      return "<label>" + esc(name) + '<select data-var="' + esc(name) + '">' + values.map(function (v) {
        return '<option value="' + esc(v) + '">' + esc(show(v)) + "</option>";
      }).join("") + "</select></label>";
    }
    var html = options("label", labels, function (v) { return v; });
    keys.forEach(function (key) {
      var values = [];
      items.forEach(function (p) { if (values.indexOf(p.values[key]) < 0) { values.push(p.values[key]); } });
      html += options(key, values, function (v) { return key === "sex" ? "sex = " + v : String(v); });
    });
    pick.innerHTML = html;
    keys.forEach(function (key) {
      var select = pick.querySelector('select[data-var="' + key + '"]');
      if (key !== "sex") { select.selectedIndex = Math.floor(select.options.length / 2); }
    });
    function find(label, chosen) {
      return items.filter(function (p) {
        return p.label === label && keys.every(function (key) { return String(p.values[key]) === chosen[key]; });
      })[0];
    }
    function update() {
      var chosen = {}, label = pick.querySelector('select[data-var="label"]').value;
      keys.forEach(function (key) { chosen[key] = pick.querySelector('select[data-var="' + key + '"]').value; });
      var item = find(label, chosen), ref = find(reference, chosen);
      draw(box, run, item.decoded, label === reference ? null : ref.decoded);
      measures(table, run, item.measures, label === reference ? null : ref.measures);
      var said = keys.map(function (key) { return key + " " + chosen[key]; }).join(", ");
      readout.textContent = "SCAN's generated beat for " + label + (said ? " (" + said + ")" : "") + ": black" +
        (label === reference ? "." : "; " + reference + " with the same values: grey.");
    }
    pick.onchange = update;
    update();
  }

  function show(runs, k) { traversal(runs[k]); profiles(runs[k]); }

  function selftest(runs) {
    var result = {errors: null, n_runs: runs.length};
    try {
      var trav = document.getElementById("xp-trav"), prof = document.getElementById("xp-prof");
      var traces = function (box) {
        return Array.prototype.map.call(box.querySelectorAll("path.xp-trace"), function (p) {
          return p.getAttribute("d");
        }).join("|");
      };
      var slider = document.querySelector("#xp-sliders input[type=range]");
      result.n_sliders = document.querySelectorAll("#xp-sliders input[type=range]").length;
      result.n_traces = trav.querySelectorAll("path.xp-trace").length;
      result.n_factors = runs[0].factors.length;
      var before = traces(trav);
      if (slider) {
        slider.value = slider.max;
        slider.dispatchEvent(new Event("input", {bubbles: true}));
      }
      result.slider_changed = before !== traces(trav) && traces(trav).indexOf("L") > 0;
      result.trav_readout = document.getElementById("xp-trav-readout").textContent;
      result.trav_measures = Array.prototype.map.call(document.querySelectorAll("#xp-trav-measures tr"),
        function (tr) { return Array.prototype.map.call(tr.cells, function (c) { return c.textContent; }); });
      var select = document.querySelector('#xp-pick select[data-var="label"]');
      var profBefore = traces(prof);
      if (select && select.options.length > 1) {
        select.selectedIndex = (select.selectedIndex + 1) % select.options.length;
        select.dispatchEvent(new Event("change", {bubbles: true}));
      }
      result.profile_changed = profBefore !== traces(prof) && traces(prof).indexOf("L") > 0;
      result.prof_readout = document.getElementById("xp-prof-readout").textContent;
      result.mean_lead0 = runs[0].mean[0].map(function (v) { return Math.round(v * 1000) / 1000; });
      var picker = document.getElementById("xp-run");
      if (picker) {
        var profOfFirst = traces(prof);
        picker.selectedIndex = 1;
        picker.dispatchEvent(new Event("change", {bubbles: true}));
        result.run_switch = {
          n_sliders: document.querySelectorAll("#xp-sliders input[type=range]").length,
          n_factors: runs[1].factors.length, profile_changed: profOfFirst !== traces(prof)};
      }
    } catch (e) {
      window.__xpErrors.push("selftest: " + e);
    }
    result.errors = (window.__xpErrors || []).slice();
    var out = document.getElementById("xp-selftest");
    out.textContent = JSON.stringify(result);
    var rect = document.getElementById("explorer").getBoundingClientRect();
    result.explorer_box_px = [rect.left + window.scrollX, rect.top + window.scrollY, rect.width, rect.height];
    result.pixel_ratio = window.devicePixelRatio;
    out.textContent = JSON.stringify(result);
  }

  var runs = JSON.parse(document.getElementById("explorer-data").textContent).map(prepare);
  var runBox = document.getElementById("xp-run-box");
  if (runs.length > 1) {
    runBox.innerHTML = "<label>SCAN run<select id=\"xp-run\">" + runs.map(function (r, k) {
      return '<option value="' + k + '">' + esc(r.name) + "</option>";
    }).join("") + "</select></label>";
    document.getElementById("xp-run").onchange = function (e) { show(runs, +e.target.value); };
  } else {
    runBox.innerHTML = "<p>SCAN run: " + esc(runs[0].name) + "</p>";
  }
  show(runs, 0);
  if (location.hash === "#selftest") { selftest(runs); }
})();
</script>"""


def _json_for_script(data: object) -> str:
    """JSON that cannot end its ``<script>`` element early (``<``, ``>``, ``&`` written as unicode escapes)."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def explorer_html(runs: Sequence[Mapping] | None) -> str:
    """The ``Latent explorer`` section of report.html for the explorer data of each SCAN run
    (:func:`vaescan.analysis.explorer.explorer_data`); one line saying why there is none without a run.

    Example
    -------
    >>> explorer_html([]).count("<p>")
    1
    >>> "no latent explorer" in explorer_html(None)
    True
    """
    intro = ("<p>One slider per active factor of the VAE redraws the 12-lead median beat as the factor moves "
             "(decoded beats precomputed when the report was made, embedded in this file: it works offline, "
             "without a server); a clinical profile shows SCAN's generated beat. The beats are the models' "
             "outputs, not recorded ECGs.</p>")
    if not runs:
        return f'<section id="explorer"><h2>Latent explorer</h2><p>{NO_RUN}</p></section>'
    data = _json_for_script(list(runs))
    return "\n".join(['<section id="explorer"><h2>Latent explorer</h2>', ERROR_CATCHER, STYLE, intro,
                      f'<script type="application/json" id="explorer-data">{data}</script>', BODY, SCRIPT,
                      "</section>"])


def explorer_markdown(runs: Sequence[Mapping] | None) -> str:
    """The ``Latent explorer`` lines of report.md: where the interactive explorer is, or why there is none.

    Example
    -------
    >>> explorer_markdown([{"name": "scan", "factors": [1, 2], "profiles": {"items": [1]}}]).splitlines()[2][:40]
    'The interactive latent explorer is in re'
    """
    if not runs:
        text = html.unescape(NO_RUN.replace("<code>", "`").replace("</code>", "`"))
    else:
        text = ("The interactive latent explorer is in report.html (it needs a browser, not a server): " + "; ".join(
            f"{r['name']}: {len(r['factors'])} factor sliders, {len(r['profiles']['items'])} clinical profiles"
            for r in runs) + ".")
    return f"## Latent explorer\n\n{text}\n"
