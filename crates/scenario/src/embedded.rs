//! The embedded demo target's configuration from a scenario's `[embedded]` table, and where a
//! scenario's requests go.

use crate::model::{EmbeddedSpec, Scenario, TargetSpec};

impl Scenario {
    /// The embedded demo target's configuration when this scenario runs one: its target is
    /// `embedded` and a workload sends to it.
    pub fn embedded_target(&self) -> Option<loadgen_demo::TargetConfig> {
        match &self.target {
            TargetSpec::Embedded(spec) if self.uses_target() => Some(spec.target_config()),
            TargetSpec::Url(_) | TargetSpec::Embedded(_) => None,
        }
    }

    /// The base URL requests go to: the target's URL, else the embedded target's (`embedded`,
    /// when one runs), else [`crate::NO_TARGET`].
    pub fn base_url(&self, embedded: Option<String>) -> String {
        match (&self.target, embedded) {
            (TargetSpec::Url(u), _) => u.clone(),
            (_, Some(url)) => url,
            _ => crate::NO_TARGET.to_string(),
        }
    }
}

impl EmbeddedSpec {
    /// The demo target's configuration: the settings the file gave, the target's own defaults
    /// for the rest.
    pub fn target_config(&self) -> loadgen_demo::TargetConfig {
        loadgen_demo::TargetConfig {
            latency: self.latency,
            error_rate: self.error_rate,
            seed: self.seed,
            worker_threads: self.threads,
            faults: Vec::new(),
            webhook_secret: self
                .webhook_secret
                .as_ref()
                .map(|s| loadgen_demo::WebhookSecret::new(s.expose()))
                .unwrap_or_default(),
            callback_delay: self
                .callback_delay
                .unwrap_or(loadgen_demo::TargetConfig::default().callback_delay),
            auth: self.auth.clone(),
        }
    }
}
