//! What a coordinated run's operator is told at the end: which workers were lost (the run
//! is then incomplete, and its verdict fails) and `fleet.json`, per worker what happened.

use super::Coordinated;
use loadgen_report::{Finished, ReportError, RunEnd};
use loadgen_scenario::Scenario;

impl Coordinated {
    /// Closes the merged results folder (its intervals were written as they were released)
    /// and judges it on `sc`: `interrupted` when a signal or a stop by hand ended the run,
    /// incomplete when a worker was lost.
    pub fn finish_folder(self, sc: &Scenario, interrupted: bool) -> Result<Finished, ReportError> {
        let end = RunEnd {
            report: &self.report,
            interrupted,
            incomplete: self.incomplete(),
            stats: Default::default(),
        };
        self.folder.finish(sc, end)
    }

    /// The reason a run with lost workers is incomplete (its verdict fails: it covers less
    /// load than planned, however its thresholds came out); `None` when every worker
    /// finished.
    pub fn incomplete(&self) -> Option<String> {
        let lost: Vec<String> = self
            .workers
            .iter()
            .filter_map(|w| {
                w.lost.as_ref().map(|why| {
                    format!(
                        "segment {} on {} after {:.1}s ({why})",
                        w.segment, w.addr, w.reported_until_s
                    )
                })
            })
            .collect();
        (!lost.is_empty()).then(|| {
            format!(
                "{} lost, the run is incomplete ({:.1}% of the planned load sent): {}",
                if lost.len() == 1 {
                    "a worker was".to_string()
                } else {
                    format!("{} workers were", lost.len())
                },
                self.share_sent * 100.0,
                lost.join("; ")
            )
        })
    }

    /// What the fleet did, for the operator: the share sent, the control channel's bytes and
    /// the coordinator's CPU, then one line per worker.
    pub fn fleet_lines(&self, coordinator_cpu_seconds: f64) -> Vec<String> {
        let secs = self.report.elapsed.as_secs_f64().max(1e-3);
        let mut lines = vec![format!(
            "fleet: {} worker(s), {:.1}% of the planned load sent; control channel {} bytes in ({:.0} B/s, {:.0} B/s per worker); coordinator CPU {:.3}s",
            self.workers.len(),
            self.share_sent * 100.0,
            self.bytes_in,
            self.bytes_in as f64 / secs,
            self.bytes_in as f64 / secs / self.workers.len() as f64,
            coordinator_cpu_seconds
        )];
        for w in &self.workers {
            let state = match &w.lost {
                None => "complete".to_string(),
                Some(why) => format!("LOST after {:.1}s ({why})", w.reported_until_s),
            };
            lines.push(format!(
                "  segment {} on {}: {state}; its results: {}",
                w.segment, w.addr, w.results
            ));
        }
        lines
    }

    /// `fleet.json`: per worker what happened (segment, lost or complete, clock offset,
    /// bytes), the share of the planned load that was sent, and the coordinator's CPU.
    pub fn fleet_json(&self, coordinator_cpu_seconds: f64) -> String {
        let workers: Vec<serde_json::Value> = self
            .workers
            .iter()
            .map(|w| {
                serde_json::json!({
                    "address": w.addr,
                    "segment": w.segment.to_string(),
                    "state": if w.lost.is_some() { "lost" } else { "complete" },
                    "lost_reason": w.lost,
                    "reported_until_s": w.reported_until_s,
                    "clock_offset_ms": w.clock_offset_ms,
                    "rtt_ms": w.rtt_ms,
                    "certificate_sha256": w.fingerprint,
                    "results": w.results,
                    "bytes_in": w.bytes_in,
                })
            })
            .collect();
        let fleet = serde_json::json!({
            "workers": workers,
            "share_of_planned_load_sent": self.share_sent,
            "aborted": self.aborted,
            "control_bytes_in": self.bytes_in,
            "coordinator_cpu_seconds": coordinator_cpu_seconds,
        });
        serde_json::to_string_pretty(&fleet).expect("a JSON value serialises")
    }
}
