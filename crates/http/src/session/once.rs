//! A run-level setup (`[[setup]]`): the factory's steps sent once, in order, by one session
//! before any load, handing back what they captured for every VU to read.

use super::HttpSession;
use loadgen_engine::{Iteration, Outcome, Recorder};
use tokio::time::Instant;

/// Why a setup did not complete: the step that failed and how.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("setup step `{step}` failed: {outcome}{}{}", .status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(), .missed.as_ref().map(|m| format!(", capture `{m}` found nothing")).unwrap_or_default())]
pub struct OnceFailure {
    /// The step's name.
    pub step: String,
    /// What became of it (`check_failed`, `http_4xx`, `connect`…).
    pub outcome: String,
    /// The answer's status, when one arrived.
    pub status: Option<u16>,
    /// The capture that found nothing, when that was the failure.
    pub missed: Option<String>,
}

impl HttpSession {
    /// Sends every step once, in order (each may read what the ones before captured), and
    /// returns each capture's name and value. The first step that does not succeed stops it.
    pub async fn run_once(&mut self) -> Result<Vec<(String, Vec<u8>)>, OnceFailure> {
        let sh = &*self.shared;
        let recorder = Recorder::new(sh.steps.len(), 1);
        let it = Iteration::new(&recorder, 0, 0, 0, Instant::now());
        let mut intended = it.intended;
        for (index, step) in sh.steps.iter().enumerate() {
            let sample = self.vu.attempt(sh, &it, index, intended).await;
            intended = sample.done;
            if sample.outcome != Outcome::Success || self.vu.refused {
                let missed = self.vu.missed.and_then(|slot| {
                    step.captures
                        .iter()
                        .find(|c| c.slot == slot)
                        .map(|c| c.name.clone())
                });
                return Err(OnceFailure {
                    step: step.name.clone(),
                    outcome: sample.outcome.name().to_string(),
                    status: (self.vu.status != 0).then_some(self.vu.status),
                    missed,
                });
            }
        }
        Ok(sh
            .steps
            .iter()
            .flat_map(|s| &s.captures)
            .filter_map(|c| {
                self.vu
                    .slots
                    .get(c.slot)
                    .map(|v| (c.name.clone(), v.to_vec()))
            })
            .collect())
    }
}
