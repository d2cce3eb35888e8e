//! Where a scenario's workloads connect: one list, built from each workload's protocol arm
//! (`ProtocolSpec::destinations`), so a worker checks every address its load will reach
//! against its `--allow-target` before it accepts the work, and a new protocol cannot be
//! added without saying where it connects.

use crate::model::{Scenario, WorkloadSpec};

/// One place a workload connects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The workload.
    pub workload: String,
    /// What goes there (`HTTP requests`, `WebSocket connections`, …).
    pub what: &'static str,
    /// The URL dialled (its host and port are what a policy checks).
    pub url: String,
}

impl WorkloadSpec {
    /// Every URL this workload dials when run against `base_url`.
    pub fn destinations(&self, base_url: &str) -> Vec<Destination> {
        self.protocol
            .destinations(base_url)
            .into_iter()
            .map(|(what, url)| Destination {
                workload: self.name.clone(),
                what,
                url,
            })
            .collect()
    }
}

/// What a run prints as its target when no workload uses one (every workload names its own
/// destination: a database, a Redis, an absolute WebSocket URL).
pub const NO_TARGET: &str = "no HTTP target (each workload names its own destination)";

impl Scenario {
    /// True when some workload sends to the scenario's `target` (so an embedded demo target is
    /// worth starting); false when every workload names its own destination.
    pub fn uses_target(&self) -> bool {
        const PROBE: &str = "http://target.invalid";
        self.destinations(PROBE).iter().any(|d| d.url == PROBE)
    }

    /// Every URL any workload dials when run against `base_url` (the resolved target).
    pub fn destinations(&self, base_url: &str) -> Vec<Destination> {
        self.workloads
            .iter()
            .flat_map(|w| w.destinations(base_url))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    const BASE: &str = "http://127.0.0.1:8080";

    fn destinations(workload: &str) -> Vec<(String, String)> {
        let text = format!("name = \"d\"\ntarget = \"{BASE}\"\nduration = \"1s\"\n{workload}");
        let sc = crate::parse(&text, "d.toml", &|_| None).unwrap();
        sc.destinations(BASE)
            .into_iter()
            .map(|d| (d.workload, d.url))
            .collect()
    }

    fn one(name: &str) -> (String, String) {
        (name.to_string(), BASE.to_string())
    }

    #[test]
    fn http_workloads_dial_the_base_url() {
        let d = destinations(
            "[[workload]]\nname = \"h\"\nmodel = \"open\"\nrate = \"1/s\"\nmax_vus = 1\n\
             [[workload.step]]\nname = \"s\"\nhttp = { method = \"GET\", path = \"/x\" }\n",
        );
        assert_eq!(d, vec![one("h")]);
    }

    #[test]
    fn websocket_workloads_dial_their_own_url_or_the_base() {
        let ws = |url: &str| {
            format!(
                "[[workload]]\nname = \"w\"\nmodel = \"closed\"\nvus = 1\n\
                 [workload.ws]\nurl = \"{url}\"\nhold = \"1s\"\n"
            )
        };
        assert_eq!(
            destinations(&ws("wss://feed.example:9443/ws")),
            vec![("w".to_string(), "wss://feed.example:9443/ws".to_string())]
        );
        assert_eq!(destinations(&ws("/ws/echo")), vec![one("w")]);
    }

    #[test]
    fn webhook_and_callback_workloads_dial_the_base_url() {
        let d = destinations(
            "[[workload]]\nname = \"cb\"\nmodel = \"open\"\nrate = \"1/s\"\nmax_vus = 1\n\
             [[workload.step]]\nname = \"pay\"\n\
             callback = { path = \"/api/payments/async\", json = { amount = 1 }, within = \"1s\" }\n",
        );
        assert_eq!(d, vec![one("cb")]);
    }

    #[test]
    fn only_workloads_that_send_to_the_target_make_a_scenario_use_it() {
        let parse = |workload: &str| {
            let text = format!("name = \"d\"\nduration = \"1s\"\n{workload}");
            crate::parse(&text, "d.toml", &|_| None).unwrap()
        };
        let redis = "[[workload]]\nname = \"r\"\nmodel = \"closed\"\nvus = 1\n\
                     [workload.redis]\nurl = \"redis://127.0.0.1:6390\"\n\
                     [[workload.step]]\nname = \"get\"\nredis = { cmd = [\"GET\", \"k\"] }\n";
        assert!(
            !parse(redis).uses_target(),
            "a Redis-only scenario needs no target"
        );
        let ws = "[[workload]]\nname = \"w\"\nmodel = \"closed\"\nvus = 1\n\
                  [workload.ws]\nurl = \"/ws/echo\"\nhold = \"1s\"\n";
        assert!(
            parse(ws).uses_target(),
            "a WebSocket path goes to the target"
        );
        assert!(parse(&format!("{redis}{ws}")).uses_target());
    }
}
