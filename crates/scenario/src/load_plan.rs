//! `loadgen plan`: the load a scenario will send, computed without sending anything — the
//! rate curve, expected totals per workload and per payload kind, the peak rate and the VUs
//! it needs (Little's law with an assumed response time).

use crate::model::{BodySpec, ModelSpec, ProtocolSpec, Scenario};
use loadgen_engine::ThinkTime;
use std::fmt::Write;
use std::time::Duration;
use textplots::{Chart, Plot, Shape};

/// The planned load of one workload.
#[derive(Debug, Clone)]
pub struct WorkloadPlan {
    /// Workload name.
    pub name: String,
    /// `open` or `closed`.
    pub model: &'static str,
    /// Start offset (s).
    pub start: f64,
    /// Length (s).
    pub duration: f64,
    /// Expected iterations (exact for open; an estimate for closed).
    pub iterations: f64,
    /// Highest iteration rate (/s).
    pub peak_rate: f64,
    /// VUs needed at the peak (open: peak rate × assumed iteration time; closed: its VUs).
    pub vus_needed: u64,
    /// The ceiling the scenario sets (`max_vus`, or the closed model's peak VUs).
    pub vu_limit: u64,
    /// Expected requests per payload kind: (step, kind, count).
    pub kinds: Vec<(String, String, f64)>,
}

/// The whole plan: per-workload figures and the sampled rate curve.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// Per workload.
    pub workloads: Vec<WorkloadPlan>,
    /// `(t seconds, iteration rate per workload)` samples over the run.
    pub curve: Vec<(f64, Vec<f64>)>,
    /// The response time assumed for VU estimates and closed-model rates.
    pub assumed_latency: Duration,
}

fn think_mean(t: &ThinkTime) -> f64 {
    match t {
        ThinkTime::None => 0.0,
        ThinkTime::Fixed(d) | ThinkTime::Exponential(d) => d.as_secs_f64(),
        ThinkTime::Uniform(a, b) => (a.as_secs_f64() + b.as_secs_f64()) / 2.0,
        // exp(mu + sigma^2 / 2) of the log-normal between its 5th and 95th percentiles.
        ThinkTime::LogNormal(a, b) => {
            let (a, b) = (a.as_secs_f64().max(1e-6), b.as_secs_f64().max(1e-6));
            let sigma = (b / a).ln() / (2.0 * 1.645);
            ((a * b).sqrt().ln() + sigma * sigma / 2.0)
                .exp()
                .clamp(a, b)
        }
    }
}

/// Assumed length of one iteration: `lat` per request, or a WebSocket session's hold.
fn iteration_secs(w: &crate::model::WorkloadSpec, lat: f64) -> f64 {
    w.protocol.iteration_secs(lat)
}

/// Computes the plan of `sc`, assuming each request takes `latency`.
pub fn plan(sc: &Scenario, latency: Duration) -> LoadPlan {
    let lat = latency.as_secs_f64().max(1e-6);
    let total = sc.planned_duration().as_secs_f64();
    // Iteration rate of workload `w` at run time `t`.
    let rate = |w: &crate::model::WorkloadSpec, t: f64| -> f64 {
        let local = t - w.start.as_secs_f64();
        if local < 0.0 || local >= w.model.duration().as_secs_f64() {
            return 0.0;
        }
        match &w.model {
            ModelSpec::Open { rate, .. } => rate.rate(local),
            ModelSpec::Closed { stages, think, .. } => {
                stages.target_at(local).floor() / (iteration_secs(w, lat) + think_mean(think))
            }
        }
    };
    let dt = 0.01;
    let n = (total / dt).ceil() as u64;
    let mut workloads = Vec::new();
    for w in &sc.workloads {
        let (mut sum, mut peak) = (0.0, 0.0f64);
        for i in 0..n {
            let r = rate(w, (i as f64 + 0.5) * dt);
            sum += r * dt;
            peak = peak.max(r);
        }
        let iteration_time = iteration_secs(w, lat);
        let (model, vus_needed, vu_limit) = match &w.model {
            ModelSpec::Open { max_vus, .. } => {
                ("open", (peak * iteration_time).ceil() as u64, *max_vus)
            }
            ModelSpec::Closed { stages, .. } => ("closed", stages.max_vus(), stages.max_vus()),
        };
        let mut kinds = Vec::new();
        let http_steps = match &w.protocol {
            ProtocolSpec::Http(h) => &h.steps[..],
            _ => &[],
        };
        for s in http_steps {
            if let Some(BodySpec::Payload(ix)) = &s.http.body {
                let g = &sc.payloads[*ix];
                let large = g.large.as_ref().map_or(0.0, |l| l.share);
                kinds.push((
                    s.name.clone(),
                    "regular".to_string(),
                    sum * (1.0 - g.fail_share) * (1.0 - large),
                ));
                if large > 0.0 {
                    kinds.push((
                        s.name.clone(),
                        "large".to_string(),
                        sum * (1.0 - g.fail_share) * large,
                    ));
                }
                for (k, share) in g.kind_shares() {
                    kinds.push((s.name.clone(), k.name().to_string(), sum * share));
                }
            }
        }
        workloads.push(WorkloadPlan {
            name: w.name.clone(),
            model,
            start: w.start.as_secs_f64(),
            duration: w.model.duration().as_secs_f64(),
            iterations: sum,
            peak_rate: peak,
            vus_needed,
            vu_limit,
            kinds,
        });
    }
    let points = 240u64;
    let curve = (0..=points)
        .map(|i| {
            let t = total * i as f64 / points as f64;
            (
                t,
                sc.workloads
                    .iter()
                    .map(|w| rate(w, t.min(total - 1e-9)))
                    .collect(),
            )
        })
        .collect();
    LoadPlan {
        workloads,
        curve,
        assumed_latency: latency,
    }
}

impl LoadPlan {
    /// The plan for people: a chart of the total rate and a table of figures.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let end = self.curve.last().map_or(1.0, |c| c.0).max(1e-3);
        let total: Vec<(f32, f32)> = self
            .curve
            .iter()
            .map(|(t, r)| (*t as f32, r.iter().sum::<f64>() as f32))
            .collect();
        let _ = writeln!(
            out,
            "iterations per second over the run (all workloads; x: seconds):"
        );
        let mut chart = Chart::new(160, 50, 0.0, end as f32);
        let shape = Shape::Lines(&total);
        let chart = chart.lineplot(&shape);
        // `Display` prints the canvas as drawn so far; `figures` draws the shapes onto it.
        chart.figures();
        let _ = writeln!(out, "{chart}");
        for w in &self.workloads {
            let _ = writeln!(
                out,
                "{:<16} {:<6} {:>6.1}s–{:<6}  expected {:>9.0} iterations  peak {:>8.2}/s  VUs needed {} (limit {}){}",
                w.name,
                w.model,
                w.start,
                format!("{:.1}s", w.start + w.duration),
                w.iterations,
                w.peak_rate,
                w.vus_needed,
                w.vu_limit,
                if w.vus_needed > w.vu_limit { "  ← arrivals will be dropped" } else { "" }
            );
            for (step, kind, n) in &w.kinds {
                let _ = writeln!(out, "    {step} {kind:<22} {n:>9.0}");
            }
        }
        let _ = writeln!(
            out,
            "(VU needs and closed-model rates assume {} ms per request; change with --assume-latency)",
            self.assumed_latency.as_millis()
        );
        out
    }

    /// The rate curve as CSV: `t_seconds,<workload>…,total`.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("t_seconds");
        for w in &self.workloads {
            let _ = write!(out, ",{}", w.name);
        }
        out.push_str(",total\n");
        for (t, rates) in &self.curve {
            let _ = write!(out, "{t:.3}");
            for r in rates {
                let _ = write!(out, ",{r:.4}");
            }
            let _ = writeln!(out, ",{:.4}", rates.iter().sum::<f64>());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_totals_follow_the_integral_and_payload_kinds_split_it() {
        let text = r#"name = "p"
duration = "60s"
[payload.pay]
fail = { share = "10%", declined = 1 }
[[workload]]
name = "w"
model = "open"
rate = { pattern = "burst", base = "10/s", peak = "30/s", every = "30s", rise = "5s", hold = "10s", fall = "5s" }
max_vus = 5
  [[workload.step]]
  name = "pay"
  http = { method = "POST", path = "/", json = "@pay" }
"#;
        let sc = crate::parse(text, "p.toml", &|_| None).unwrap();
        let p = plan(&sc, Duration::from_millis(100));
        let w = &p.workloads[0];
        // Per 30 s: 10/s baseline plus a spike of area 20 * (2.5 + 10 + 2.5).
        assert!(
            (w.iterations - 2.0 * (300.0 + 300.0)).abs() < 1.0,
            "{}",
            w.iterations
        );
        assert!((w.peak_rate - 30.0).abs() < 1e-6);
        assert_eq!(w.vus_needed, 3);
        let declined = w.kinds.iter().find(|k| k.1 == "declined").unwrap().2;
        assert!((declined - 120.0).abs() < 0.5);
        assert!(p
            .to_csv()
            .starts_with("t_seconds,w,total\n0.000,10.0000,10.0000\n"));
        assert!(p.to_text().contains("VUs needed 3 (limit 5)"));
    }
}
