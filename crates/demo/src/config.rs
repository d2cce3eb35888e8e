//! What the CLI (or a test) tells the target to do.

use crate::{DemoError, FaultRule, LatencyModel, WebhookSecret};

use std::time::Duration;

/// Behaviour of the demo target. Built by the caller; checked by [`TargetConfig::validate`]
/// (which [`crate::spawn`] and [`crate::serve_blocking`] call).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetConfig {
    /// Service delay added to each API request (`/api/...`) and webhook delivery
    /// (`/webhooks/...`), not to `/health` or `/__counters`.
    pub latency: LatencyModel,
    /// Share (0..=1) of API requests and webhook deliveries answered
    /// `500 {"error":"injected"}` (before any processing, so a retry is not a duplicate).
    pub error_rate: f64,
    /// Seed for latency and error injection.
    pub seed: u64,
    /// Threads of the target's own tokio runtime (at least 1).
    pub worker_threads: usize,
    /// Fault modes drawn for `/api/` requests (and connections), besides the ones asked
    /// for by the `x-loadgen-fault` header.
    pub faults: Vec<FaultRule>,
    /// Secret the webhook routes verify signatures with (`whsec_` + base64).
    pub webhook_secret: WebhookSecret,
    /// How long after accepting `/api/payments/async` the target calls back.
    pub callback_delay: Duration,
    /// Tokens, whether the API demands one, the login limit, cookie mode.
    pub auth: crate::AuthPolicy,
}

impl Default for TargetConfig {
    fn default() -> Self {
        TargetConfig {
            latency: LatencyModel::None,
            error_rate: 0.0,
            seed: 0,
            worker_threads: 1,
            faults: Vec::new(),
            webhook_secret: WebhookSecret::default(),
            callback_delay: Duration::from_millis(10),
            auth: crate::AuthPolicy::default(),
        }
    }
}

impl TargetConfig {
    /// Rejects out-of-range values, reporting all of them at once.
    pub fn validate(&self) -> Result<(), DemoError> {
        let mut problems = Vec::new();
        if !(0.0..=1.0).contains(&self.error_rate) {
            problems.push(format!("error rate {} is outside 0..=1", self.error_rate));
        }
        if self.worker_threads == 0 {
            problems.push("worker threads must be at least 1".to_string());
        }
        let conn_share: f64 = self
            .faults
            .iter()
            .filter(|r| r.fault.is_per_connection())
            .map(|r| r.share)
            .sum();
        let req_share: f64 = self
            .faults
            .iter()
            .filter(|r| !r.fault.is_per_connection())
            .map(|r| r.share)
            .sum();
        if conn_share > 1.0 + 1e-9 || req_share > 1.0 + 1e-9 {
            problems.push("fault shares add up to more than 100%".to_string());
        }
        if let Err(reason) = self.webhook_secret.standard_key() {
            problems.push(reason.to_string());
        }
        if let Err(reason) = self.latency.validate() {
            problems.push(format!("latency {}: {reason}", self.latency));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(DemoError::InvalidConfig(problems.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        TargetConfig::default().validate().unwrap();
    }

    #[test]
    fn reports_every_problem() {
        let cfg = TargetConfig {
            error_rate: 1.5,
            worker_threads: 0,
            ..TargetConfig::default()
        };
        let msg = cfg.validate().unwrap_err().to_string();
        assert!(
            msg.contains("error rate 1.5") && msg.contains("worker threads"),
            "{msg}"
        );
    }

    #[test]
    fn nan_error_rate_is_rejected() {
        let cfg = TargetConfig {
            error_rate: f64::NAN,
            ..TargetConfig::default()
        };
        assert!(cfg.validate().is_err());
    }
}
