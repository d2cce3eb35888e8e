//! The most requests per second a segment can send, for a worker's `--max-rate`.
//!
//! An open workload sends what its schedule says: its peak arrival rate. A closed workload
//! has no schedule: each VU starts its next iteration when the last one ends plus its think
//! time, so against a fast target it sends as fast as the target answers. Its worst case is
//! bounded only by the think time: VUs × requests per iteration ÷ the shortest pause. A
//! closed workload whose pause can be zero (none, exponential, uniform from 0) has no bound
//! and is refused on a worker with a ceiling; one with a pause is accepted only if its bound
//! fits. The ceiling is thus proved before the load starts, with nothing on the hot path and
//! no throttle that would quietly turn a closed-model measurement into a paced one.
//!
//! Requests per iteration: one per HTTP step, one per webhook or callback step plus its
//! retries, one connection per WebSocket iteration (messages inside a connection are not
//! requests to this count).

use loadgen_engine::ThinkTime;
use loadgen_scenario::{ModelSpec, Scenario, WorkloadSpec};
use std::time::Duration;

/// The worst case of a segment: requests/s, and how each workload contributes.
pub(crate) struct Peak {
    /// Requests per second at most.
    pub(crate) rate: f64,
    /// The open workloads' part of `rate` (what `scale` multiplies).
    pub(crate) open: f64,
    /// One line per closed workload: how its bound is reached.
    pub(crate) closed: Vec<String>,
}

/// A closed workload with no bound on its rate.
pub(crate) struct Unbounded {
    pub(crate) workload: String,
    pub(crate) vus: u64,
    pub(crate) requests: u64,
}

/// Requests one iteration of `w` sends at most (its protocol arm knows; an HTTP step's
/// redirects default to `sc`'s `[http] follow_redirects`).
fn requests_per_iteration(sc: &Scenario, w: &WorkloadSpec) -> u64 {
    w.protocol.requests_per_iteration(&sc.http)
}

fn shortest_pause(t: &ThinkTime) -> Duration {
    match *t {
        ThinkTime::Fixed(d) => d,
        ThinkTime::Uniform(a, b) | ThinkTime::LogNormal(a, b) => a.min(b),
        ThinkTime::None | ThinkTime::Exponential(_) => Duration::ZERO,
    }
}

/// The worst case of the `share` of `sc` a worker runs.
pub(crate) fn segment_peak(sc: &Scenario, share: f64) -> Result<Peak, Unbounded> {
    let plan = loadgen_scenario::load_plan::plan(sc, Duration::from_millis(100));
    let mut peak = Peak {
        rate: 0.0,
        open: 0.0,
        closed: Vec::new(),
    };
    for (p, w) in plan.workloads.iter().zip(&sc.workloads) {
        let requests = requests_per_iteration(sc, w);
        match &w.model {
            ModelSpec::Open { .. } => {
                let rate = p.peak_rate * requests as f64 * share;
                peak.rate += rate;
                peak.open += rate;
            }
            ModelSpec::Closed { stages, think, .. } => {
                // Segments split VUs round-robin: a share never holds more than this.
                let vus = (stages.max_vus() as f64 * share).ceil() as u64;
                let pause = shortest_pause(think);
                if pause.is_zero() {
                    return Err(Unbounded {
                        workload: w.name.clone(),
                        vus,
                        requests,
                    });
                }
                let rate = (vus * requests) as f64 / pause.as_secs_f64();
                peak.closed.push(format!(
                    "workload `{}`: {vus} VUs × {requests} requests ÷ {:.3}s think time = \
                     {rate:.0}/s",
                    w.name,
                    pause.as_secs_f64()
                ));
                peak.rate += rate;
            }
        }
    }
    Ok(peak)
}
