//! `report.html`: one self-contained page — the summary and threshold tables, and the live
//! dashboard's charts drawn by the same code (`charts.js`, embedded with the points it draws:
//! no network needed to open it): for the step chosen in a step picker, latency
//! p50/p90/p95/p99/max over time, throughput, errors by class and the latency by percentile;
//! all steps' throughput; the step's workload's VUs busy and online, arrivals dropped, queued
//! and skipped while paused, and schedule lag. A windowed threshold's worst window is shaded
//! on the charts of its metric (latency for a time threshold, the counts for the rest): red
//! when it failed, grey when not; a change by hand is a dashed line.

use crate::charts::{names_json, JS};
use crate::summary::RunSummary;
use loadgen_engine::{new_histogram, Histogram, StepInfo};
use serde_json::{json, Value};

pub use crate::chart_points::{ReportData, MAX_POINTS};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Latency by percentile on a "nines" axis (x = -log10(1 - q), 0 to 4), 41 points.
fn distribution(h: &Histogram) -> Value {
    let pts: Vec<Value> = (0..=40)
        .map(|i| {
            let nines = i as f64 * 0.1;
            let q = 1.0 - 10f64.powf(-nines);
            let ms = match h.is_empty() {
                true => 0.0,
                false => h.value_at_quantile(q) as f64 / 1e3,
            };
            json!([(nines * 10.0).round() / 10.0, ms])
        })
        .collect();
    Value::Array(pts)
}

/// What the page's charts draw: the points, their names, the changes by hand, the worst
/// windows to shade and the distributions, as `charts.js` reads them.
fn chart_data(
    summary: &RunSummary,
    data: &ReportData,
    steps: &[StepInfo],
    workloads: &[String],
) -> Value {
    let shades = |time: bool| -> Vec<Value> {
        summary
            .thresholds
            .iter()
            .filter(|t| (t.unit == "ms") == time)
            .filter_map(|t| {
                let w = t.window.as_ref()?.worst.as_ref()?;
                let why = format!("worst window of {}: {}", t.metric, t.expression);
                Some(json!([w.start, w.end, !t.passed, why]))
            })
            .collect()
    };
    let mut all = new_histogram();
    for h in &data.latency {
        all.add(h).expect("histograms share one configuration");
    }
    let empty = new_histogram();
    let per_step = (0..steps.len()).map(|i| distribution(data.latency.get(i).unwrap_or(&empty)));
    json!({
        "names": names_json(steps, workloads),
        "history": data.points.iter().map(|p| p.to_json()).collect::<Vec<_>>(),
        "changes": summary.changes.iter().map(|c| json!({"at": c.at_s, "who": c.who, "what": c.what})).collect::<Vec<_>>(),
        "shades": {"latency": shades(true), "counts": shades(false)},
        "dist": {"steps": per_step.collect::<Vec<_>>(), "all": distribution(&all)},
    })
}

/// Renders the page of a run of `steps` in `workloads`.
pub fn render(
    summary: &RunSummary,
    data: &ReportData,
    steps: &[StepInfo],
    workloads: &[String],
) -> String {
    // `</` cannot close the script element the data sits in.
    let chart_json = chart_data(summary, data, steps, workloads)
        .to_string()
        .replace("</", "<\\/");
    let n_steps = steps.len();
    let picker: String = steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let name = format!("{}/{}", s.workload_name, s.name);
            format!("<option value=\"{i}\">{}</option>", esc(&name))
        })
        .collect();
    let mut steps = String::new();
    for s in &summary.steps {
        let l = &s.latency;
        let outcomes: Vec<String> = s.outcomes.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let statuses: Vec<String> = s.statuses.iter().map(|(k, v)| format!("{k}×{v}")).collect();
        steps.push_str(&format!(
            "<tr><td>{}/{}</td><td>{}</td><td>{:.1}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&s.workload), esc(&s.step), s.count, s.rate, l.min, l.p50, l.p90, l.p95, l.p99, l.p999, l.max, esc(&outcomes.join(", ")), esc(&statuses.join(" "))
        ));
    }
    let mut custom = String::new();
    if !summary.custom.is_empty() {
        custom.push_str("<h2>Protocol metrics</h2>\n<table><tr><th>metric</th><th>kind</th><th>value</th></tr>\n");
        for c in &summary.custom {
            custom.push_str(&format!(
                "<tr><td>{}/{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(&c.workload),
                esc(&c.name),
                c.kind,
                esc(&c.display())
            ));
        }
        custom.push_str("</table>\n");
    }
    let g = &summary.generator;
    let mut generator = format!("<p>{}</p>\n", esc(&g.line()));
    for r in &g.reasons {
        generator.push_str(&format!(
            "<p class=\"saturated\">⚠ generator saturated: {} — the figures describe loadgen, not the target</p>\n",
            esc(r)
        ));
    }
    for c in &summary.changes {
        generator.push_str(&format!(
            "<p class=\"saturated\">✎ changed by hand at {:.3} s: {} (by {})</p>\n",
            c.at_s,
            esc(&c.what),
            esc(&c.who)
        ));
    }
    let mut thresholds = String::new();
    for t in &summary.thresholds {
        let show = |v: f64| match t.unit {
            "ms" => format!("{v:.2} ms"),
            "ratio" => format!("{:.3}%", v * 100.0),
            "/s" => format!("{v:.1}/s"),
            _ => format!("{v}"),
        };
        thresholds.push_str(&format!(
            "<tr class=\"{}\"><td>{}</td><td>{}: {}</td><td>{}</td><td>{}</td></tr>\n",
            if t.passed { "pass" } else { "fail" },
            match (t.passed, t.untrusted) {
                (true, false) => "✓ pass",
                (true, true) => "? untrusted",
                _ => "✗ FAIL",
            },
            esc(&t.metric),
            esc(&t.expression),
            show(t.limit),
            esc(&t.measured_text(show))
        ));
    }
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>loadgen — {name}</title>
<style>
body {{ font-family: sans-serif; margin: 24px; color: #222; }}
table {{ border-collapse: collapse; margin: 12px 0; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }}
tr.fail td {{ background: #fde2e2; }} tr.pass td {{ background: #e5f6e5; }}
.verdict {{ font-size: 1.4em; font-weight: bold; }}
.passed {{ color: #1a7f37; }} .failed, .interrupted {{ color: #c62828; }} .not_judged {{ color: #666; }}
.saturated {{ color: #b26a00; font-weight: bold; }}
</style></head><body>
<h1>{name}</h1>
<p class="verdict {verdict}">{line} (exit code {code})</p>
<p>{reason}</p>
<p>started {started} · {elapsed:.1} s · {requests} requests ({rate:.1}/s) · {errors} errors ({err_pct:.3}%) · {expected} expected failures · {dropped} dropped{early}</p>
{generator}<h2>Thresholds</h2>
<table><tr><th></th><th>threshold</th><th>limit</th><th>measured</th></tr>
{thresholds}</table>
<h2>Steps (latency in ms, from the intended start)</h2>
<table><tr><th>step</th><th>count</th><th>rate/s</th><th>min</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th><th>outcomes</th><th>failed by status</th></tr>
{steps}</table>
{custom}<h2>Over time</h2>
<p><label>step <select id="lg-step">{picker}</select></label> <small>{n_steps} step(s) · at most {max_points} points per series, each merging adjacent intervals exactly · shaded: a windowed threshold's worst window (red: failed) · dashed: a change by hand</small></p>
<noscript><p>The charts are drawn by the script embedded in this file (nothing is fetched): allow JavaScript to see them.</p></noscript>
<div class="lg-charts" id="lg-charts"></div>
<script type="application/json" id="lg-data">{chart_json}</script>
<script>
{js}
const data = JSON.parse(document.getElementById("lg-data").textContent);
const sel = document.getElementById("lg-step");
LG.bind(sel, data.names, () => {{ document.getElementById("lg-charts").innerHTML = LG.views(data, sel.selectedIndex, {{w: 460, h: 200}}); }});
</script>
</body></html>
"#,
        name = esc(&summary.scenario),
        max_points = MAX_POINTS,
        js = JS,
        verdict = summary.verdict,
        line = esc(summary
            .verdict_line()
            .split(" — ")
            .next()
            .unwrap_or_default()),
        reason = esc(&summary.verdict_reason),
        code = summary.exit_code,
        started = esc(&summary.started_at),
        elapsed = summary.elapsed_seconds,
        requests = summary.totals.requests,
        rate = summary.totals.rate,
        errors = summary.totals.errors,
        err_pct = summary.totals.error_rate * 100.0,
        expected = summary.totals.expected_failures,
        dropped = summary.totals.dropped,
        early = if summary.stopped_early {
            " · stopped early"
        } else {
            ""
        },
    )
}
