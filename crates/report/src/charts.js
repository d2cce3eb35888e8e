/* loadgen's charts: one drawing code for the live dashboard and report.html (both embed this
   file: no library, nothing fetched). It reads the points of crates/report/src/charts.rs:
   {t: start (s), len: length (s),
    s: per step [count, errors, p50, p90, p95, p99, max (ms)],
    w: per workload [busy VUs, online VUs, dropped, skipped while paused, lag p99 (ms), queued, peak busy VUs],
    e: per step [[class index, count], …] for every class but success (absent when none)}
   and names {steps, step_workload, workloads, classes}. A step picker (a <select>) chooses the
   step the per-step charts show, so 2 steps and 20 read the same; "#step=NAME" in the URL opens
   at that step. */
"use strict";
const LG = (() => {
  const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const LATENCY = ["p50", "p90", "p95", "p99", "max"];
  const CSS = ".lg-charts{display:flex;flex-wrap:wrap;gap:12px}.lg-chart{border:1px solid #ddd;padding:4px}" +
    ".lg-chart b{font-size:.85em}.lg-legend span{font-size:.75em;margin-right:8px}.lg-none{color:#777;font-size:.85em}";
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
  const num = (v) => {
    const a = Math.abs(v);
    return a >= 1000 ? v.toFixed(0) : a >= 10 ? String(+v.toFixed(1)) : String(+v.toPrecision(2));
  };
  const f1 = (v) => v.toFixed(1);
  if (!document.getElementById("lg-css")) document.head.insertAdjacentHTML("beforeend", `<style id="lg-css">${CSS}</style>`);

  /* One SVG chart. series: [{name, pts: [[x, y], …]}]; o: {unit, w, h, x0, x1, xunit,
     shades: [[from, to, failed, why], …], marks: [{at, what, who}, …]}. */
  function chart(title, series, o = {}) {
    const W = o.w || 360, H = o.h || 150, L = 46, B = 18, T = 8, R = 8;
    let x0 = o.x0 === undefined ? 0 : o.x0, x1 = o.x1 === undefined ? 1 : o.x1, y1 = 0;
    for (const s of series) for (const [x, y] of s.pts) {
      if (o.x1 === undefined) x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
    y1 = y1 > 0 ? y1 * 1.1 : 1;
    const X = (x) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R), Y = (y) => H - B - (y / y1) * (H - B - T);
    const xunit = o.xunit === undefined ? "s" : o.xunit;
    let g = "";
    for (let i = 0; i <= 4; i++) {
      const y = f1(Y((y1 * i) / 4));
      g += `<line x1="${L}" x2="${W - R}" y1="${y}" y2="${y}" stroke="${i ? "#eee" : "#999"}"/>`;
      g += `<text x="${L - 3}" y="${+y + 3}" font-size="9" text-anchor="end">${num((y1 * i) / 4)}</text>`;
      const x = x0 + ((x1 - x0) * i) / 4;
      g += `<text x="${f1(X(x))}" y="${H - 5}" font-size="9" text-anchor="middle">${num(x)}${xunit}</text>`;
    }
    for (const [a, b, failed, why] of o.shades || []) {
      const xa = X(Math.max(a, x0)), xb = X(Math.min(b, x1));
      if (xb > xa) g += `<rect class="lg-shade${failed ? " lg-failed" : ""}" x="${f1(xa)}" y="${T}" width="${f1(xb - xa)}" height="${H - B - T}" ` +
        `fill="${failed ? "#ff0000" : "#000000"}" opacity="${failed ? 0.15 : 0.08}"><title>${esc(why)}</title></rect>`;
    }
    for (const c of o.marks || []) {
      const x = f1(X(c.at));
      g += `<line class="lg-change" x1="${x}" y1="${T}" x2="${x}" y2="${H - B}" stroke="#b26a00" stroke-dasharray="3,3"><title>${esc(c.what)} (by ${esc(c.who)})</title></line>`;
    }
    series.forEach((s, i) => {
      const d = s.pts.map(([x, y]) => `${f1(X(x))},${f1(Y(y))}`).join(" ");
      g += `<polyline fill="none" stroke-width="1.5" stroke="${COLORS[i % COLORS.length]}" points="${d}"><title>${esc(s.name)}</title></polyline>`;
    });
    const legend = series.map((s, i) => `<span style="color:${COLORS[i % COLORS.length]}">■ ${esc(s.name)}</span>`).join("");
    const unit = o.unit ? ` (${esc(o.unit)})` : "";
    return `<div class="lg-chart"><b class="lg-title">${esc(title)}${unit}</b><br><svg width="${W}" height="${H}" role="img">${g}</svg><div class="lg-legend">${legend}</div></div>`;
  }

  /* Every chart of step `step`: its latency, throughput and errors by class; all steps'
     throughput; its workload's VUs, arrivals and lag; with d.dist, its latency by percentile.
     d: {names, history, changes, shades: {latency, counts}, dist: {steps, all}}. */
  function views(d, step, o = {}) {
    const n = d.names, h = d.history;
    if (!n.steps.length) return "";
    step = Math.min(Math.max(step, 0), n.steps.length - 1);
    const name = n.steps[step], sh = d.shades || {};
    const base = {w: o.w, h: o.h, marks: d.changes || []};
    const mid = (p) => p.t + p.len / 2, per = (p, v) => v / Math.max(p.len, 0.001);
    const line = (label, f) => ({name: label, pts: h.map((p) => [mid(p), f(p)])});
    const count = (p, c) => ((p.e && p.e[step].find((x) => x[0] === c)) || [c, 0])[1];
    let html = chart(`latency ${name}`, LATENCY.map((q, k) => line(q, (p) => p.s[step][k + 2])), {...base, unit: "ms", shades: sh.latency});
    html += chart(`throughput ${name}`, [line("requests/s", (p) => per(p, p.s[step][0])), line("errors/s", (p) => per(p, p.s[step][1]))],
      {...base, unit: "per s", shades: sh.counts});
    const seen = [...new Set(h.flatMap((p) => (p.e ? p.e[step] : []).map((x) => x[0])))].sort((a, b) => a - b);
    html += seen.length
      ? chart(`errors by class ${name}`, seen.map((c) => line(n.classes[c] + (c === 1 ? " (expected, not an error)" : ""), (p) => per(p, count(p, c)))),
        {...base, unit: "per s", shades: sh.counts})
      : `<div class="lg-chart lg-none"><b class="lg-title">errors by class ${esc(name)}</b><br>none: every request of this step succeeded</div>`;
    const sum = (p, k) => p.s.reduce((a, s) => a + s[k], 0);
    const all = [line("requests/s, all steps", (p) => per(p, sum(p, 0))), line("errors/s, all steps", (p) => per(p, sum(p, 1)))];
    if (n.steps.length > 1) all.push(line(`${name} requests/s`, (p) => per(p, p.s[step][0])));
    html += chart(`throughput, all ${n.steps.length} steps`, all, {...base, unit: "per s", shades: sh.counts});
    const ws = n.step_workload ? [n.step_workload[step]] : n.workloads.map((_, i) => i);
    for (const i of ws) {
      const wn = n.workloads[i];
      html += chart(`VUs ${wn}`, [line("busy (mean)", (p) => p.w[i][0]), line("online (mean)", (p) => p.w[i][1]), line("busy (peak)", (p) => p.w[i][6])], base);
      html += chart(`arrivals ${wn}`, [line("dropped/s", (p) => per(p, p.w[i][2])), line("queued/s", (p) => per(p, p.w[i][5])),
        line("skipped while paused/s", (p) => per(p, p.w[i][3]))], {...base, unit: "per s"});
      html += chart(`schedule lag ${wn}`, [line("lag p99", (p) => p.w[i][4])], {...base, unit: "ms"});
    }
    if (d.dist) {
      const dist = [{name, pts: d.dist.steps[step]}];
      if (n.steps.length > 1) dist.push({name: "all steps", pts: d.dist.all});
      html += chart(`latency by percentile ${name} — x: nines, 1 = p90, 2 = p99, 3 = p99.9, 4 = p99.99`, dist,
        {w: o.w, h: o.h, unit: "ms", x0: 0, x1: 4, xunit: "", shades: []});
    }
    return html;
  }

  /* Fills the step picker `sel` with the steps' names (once), draws on every change, and opens
     at "#step=NAME" when the URL names a step. */
  function bind(sel, names, draw) {
    if (sel.options.length !== names.steps.length) {
      sel.innerHTML = names.steps.map((s, i) => `<option value="${i}">${esc(s)}</option>`).join("");
    }
    sel.onchange = draw;
    const want = (location.hash.match(/[#&]step=([^&]*)/) || [])[1];
    const i = want === undefined ? -1 : names.steps.indexOf(decodeURIComponent(want));
    if (i >= 0 && sel.selectedIndex !== i) {
      sel.selectedIndex = i;
      sel.dispatchEvent(new Event("change"));
    } else {
      draw();
    }
  }

  return {chart, views, bind, esc};
})();
