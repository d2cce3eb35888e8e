//! `report.html`: one self-contained page (inline SVG charts drawn with plotters, no network
//! needed to open it) — latency percentiles over time, throughput and errors over time,
//! VUs busy and online, percentile distribution — plus the summary and threshold tables.
//! A windowed threshold's worst window is shaded on the chart of its metric (latency for a
//! time threshold, throughput and errors for the rest): red when it failed, grey when not.

use crate::summary::RunSummary;
use plotters::prelude::*;

pub use crate::chart_points::{Point, ReportData, MAX_POINTS};

type Series<'a> = (&'a str, RGBColor, Vec<(f64, f64)>);

/// A span of the x axis to shade: `(start, end, failed)`.
type Shade = (f64, f64, bool);

fn chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series<'_>],
    shades: &[Shade],
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 320)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let xs = series.iter().flat_map(|s| s.2.iter().map(|p| p.0));
        let ys = series.iter().flat_map(|s| s.2.iter().map(|p| p.1));
        let (x0, x1) = xs.fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
        let y1 = ys.fold(0.0f64, f64::max);
        let (x0, x1) = if x0 < x1 { (x0, x1) } else { (0.0, 1.0) };
        let y1 = if y1 > 0.0 { y1 * 1.1 } else { 1.0 };
        let Ok(mut c) = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, 0.0..y1)
        else {
            return svg_fallback(title);
        };
        let _ = c.configure_mesh().x_desc(x_label).y_desc(y_label).draw();
        for &(a, b, failed) in shades {
            let color = if failed {
                RED.mix(0.15)
            } else {
                BLACK.mix(0.08)
            };
            let _ = c.draw_series(std::iter::once(Rectangle::new(
                [(a.max(x0), 0.0), (b.min(x1), y1)],
                color.filled(),
            )));
        }
        for (name, color, pts) in series {
            if let Ok(a) =
                c.draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            {
                let color = *color;
                a.label(*name).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
            }
        }
        let _ = c
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw();
        let _ = root.present();
    }
    svg
}

fn svg_fallback(title: &str) -> String {
    format!("<p>(no chart: {})</p>", esc(title))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders the page.
pub fn render(summary: &RunSummary, data: &ReportData) -> String {
    let p = &data.points;
    let col = |f: fn(&Point) -> f64| p.iter().map(|x| (x.t, f(x))).collect::<Vec<_>>();
    let shades = |time: bool| -> Vec<Shade> {
        summary
            .thresholds
            .iter()
            .filter(|t| (t.unit == "ms") == time)
            .filter_map(|t| {
                let w = t.window.as_ref()?.worst.as_ref()?;
                Some((w.start, w.end, !t.passed))
            })
            .collect()
    };
    let latency = chart(
        "Latency from the intended start, per point (adjacent intervals merged exactly past 2,000)",
        "seconds",
        "ms",
        &[
            ("p50", BLUE, col(|x| x.p50)),
            ("p90", GREEN, col(|x| x.p90)),
            ("p99", RED, col(|x| x.p99)),
        ],
        &shades(true),
    );
    let throughput = chart(
        "Throughput and errors",
        "seconds",
        "per second",
        &[
            ("requests/s", BLUE, col(|x| x.rate)),
            ("errors/s", RED, col(|x| x.errors)),
        ],
        &shades(false),
    );
    let vus = chart(
        "VUs",
        "seconds",
        "VUs",
        &[
            ("online (mean)", BLUE, col(|x| x.online_vus)),
            ("busy (mean)", MAGENTA, col(|x| x.busy_vus)),
            ("busy (peak)", RED, col(|x| x.peak_busy_vus)),
        ],
        &[],
    );
    // Percentile distribution on a "nines" axis: x = -log10(1 - q).
    let h = &data.latency;
    let dist: Vec<(f64, f64)> = (0..=40)
        .map(|i| {
            let nines = i as f64 * 0.1;
            let q = 1.0 - 10f64.powf(-nines);
            (
                nines,
                if h.is_empty() {
                    0.0
                } else {
                    h.value_at_quantile(q) as f64 / 1e3
                },
            )
        })
        .collect();
    let distribution = chart(
        "Latency by percentile (x: nines — 1 = p90, 2 = p99, 3 = p99.9, 4 = p99.99)",
        "nines",
        "ms",
        &[("latency", BLUE, dist)],
        &[],
    );

    let mut steps = String::new();
    for s in &summary.steps {
        let l = &s.latency;
        let outcomes: Vec<String> = s.outcomes.iter().map(|(k, v)| format!("{k} {v}")).collect();
        steps.push_str(&format!(
            "<tr><td>{}/{}</td><td>{}</td><td>{:.1}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{}</td></tr>\n",
            esc(&s.workload), esc(&s.step), s.count, s.rate, l.min, l.p50, l.p90, l.p95, l.p99, l.p999, l.max, esc(&outcomes.join(", "))
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
    let mut generator = format!(
        "<p>generator: {} thread(s), {:.2} CPU-s in workers (busiest {:.0}%), peak RSS {:.1} MiB</p>\n",
        g.threads,
        g.worker_cpu_seconds,
        g.busiest_worker * 100.0,
        g.peak_rss_mib
    );
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
<table><tr><th>step</th><th>count</th><th>rate/s</th><th>min</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th><th>outcomes</th></tr>
{steps}</table>
{custom}<h2>Over time</h2>
{latency}
{throughput}
{vus}
<h2>Distribution</h2>
{distribution}
</body></html>
"#,
        name = esc(&summary.scenario),
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
