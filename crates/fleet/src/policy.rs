//! What a worker agrees to do, whoever asks: the targets it may send to (checked on the
//! resolved addresses), and ceilings on rate and duration. A stolen coordinator secret still
//! cannot aim the fleet at anything the workers' own operators did not allow.
//!
//! A worker checks every URL of the scenario's destination list
//! ([`loadgen_scenario::Scenario::destinations`]: the base URL, WebSocket URLs, one arm per
//! protocol). loadgen's clients do not follow redirects and steps carry only paths, so those
//! are the only places load goes — once `hosts` overrides are applied ([`with_hosts`]: the
//! address a name is mapped to is checked) and with the proxy, when there is one, checked too
//! (the worker's `accept` path does both).

use loadgen_scenario::Scenario;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// One `--allow-target` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowRule {
    /// An address block (`10.0.0.0/8`, `fd00::/8`; a bare address is a /32 or /128).
    Net(IpAddr, u8),
    /// A host name: allowed are the addresses it resolves to when the work arrives.
    Host(String),
}

/// Why an `--allow-target` entry does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllowRuleError {
    #[error("`{rule}`: prefix must be 0..={max}")]
    BadPrefix { rule: String, max: u8 },
    #[error("`{0}` is neither an address block (10.0.0.0/8) nor a host name")]
    Unrecognised(String),
}

/// Why a worker refuses a target or a segment.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("target `{0}` is not a URL")]
    NotAUrl(String),
    #[error("target `{0}`: unclosed [")]
    UnclosedBracket(String),
    #[error("target `{0}`: bad port")]
    BadPort(String),
    #[error("cannot resolve `{host}`: {error}")]
    Resolve { host: String, error: std::io::Error },
    #[error("`{0}` resolves to no address")]
    NoAddress(String),
    #[error(
        "target {url} resolves to {ip}, which this worker's --allow-target does not permit{}",
        if *.loopback_only { " (without --allow-target only loopback is allowed)" } else { "" }
    )]
    NotAllowed {
        url: String,
        ip: IpAddr,
        /// No `--allow-target` was given.
        loopback_only: bool,
    },
    #[error(
        "the run lasts up to {:.0}s (schedule plus graceful stop); this worker's \
         --max-duration is {:.0}s",
        .length.as_secs_f64(),
        .max.as_secs_f64()
    )]
    TooLong { length: Duration, max: Duration },
    #[error(
        "this segment can reach {peak:.0} requests/s{how}; this worker's --max-rate is \
         {max:.0}/s"
    )]
    TooFast {
        peak: f64,
        /// How closed workloads reach their share (empty: open workloads only).
        how: String,
        max: f64,
    },
    #[error(
        "workload `{workload}` is closed with no minimum think time: {vus} VUs send as fast as \
         the target answers, so this worker's --max-rate {max:.0}/s cannot be guaranteed; give \
         it a fixed or uniform think time of at least {think:.3}s, or use an open model"
    )]
    Unpaced {
        workload: String,
        vus: u64,
        max: f64,
        /// The shortest think time that would fit the cap, seconds.
        think: f64,
    },
}

impl std::str::FromStr for AllowRule {
    type Err = AllowRuleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        match addr.parse::<IpAddr>() {
            Ok(ip) => {
                let max = if ip.is_ipv4() { 32 } else { 128 };
                let prefix = match prefix {
                    Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| {
                        AllowRuleError::BadPrefix {
                            rule: s.to_string(),
                            max,
                        }
                    })?,
                    None => max,
                };
                Ok(AllowRule::Net(ip, prefix))
            }
            Err(_) if prefix.is_none() && !s.is_empty() && !s.contains([':', ' ']) => {
                Ok(AllowRule::Host(s.to_ascii_lowercase()))
            }
            Err(_) => Err(AllowRuleError::Unrecognised(s.to_string())),
        }
    }
}

fn in_net(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// A worker's own limits.
#[derive(Debug, Clone, Default)]
pub struct WorkerPolicy {
    /// Allowed targets; empty means loopback only.
    pub allow: Vec<AllowRule>,
    /// Highest request rate (requests/s) this worker sends, whatever its segment asks.
    pub max_rate: Option<f64>,
    /// Longest run (schedule plus graceful stop) it accepts.
    pub max_duration: Option<Duration>,
}

impl WorkerPolicy {
    /// The policy of `loadgen worker`'s flags: `--allow-target` rules, `--max-rate` and
    /// `--max-duration`; an error names the flag.
    pub fn from_flags(
        allow: &[String],
        max_rate: Option<&str>,
        max_duration: Option<&str>,
    ) -> Result<WorkerPolicy, String> {
        let allow = allow
            .iter()
            .map(|r| {
                r.parse::<AllowRule>()
                    .map_err(|e| format!("--allow-target {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let max_rate = max_rate
            .map(|r| loadgen_scenario::parse_rate(r).map_err(|e| format!("--max-rate: {e}")))
            .transpose()?;
        let max_duration = max_duration
            .map(|d| {
                loadgen_scenario::parse_duration(d).map_err(|e| format!("--max-duration: {e}"))
            })
            .transpose()?;
        Ok(WorkerPolicy {
            allow,
            max_rate,
            max_duration,
        })
    }
}

/// `http://host:port/...` → (host, port); a scheme's usual port when none is given.
pub fn host_port(url: &str) -> Result<(String, u16), PolicyError> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| PolicyError::NotAUrl(url.to_string()))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let default = match scheme.to_ascii_lowercase().as_str() {
        "https" | "wss" => 443,
        "postgres" | "postgresql" => 5432,
        "redis" | "rediss" => 6379,
        _ => 80,
    };
    if let Some(v6) = authority.strip_prefix('[') {
        let (h, rest) = v6
            .split_once(']')
            .ok_or_else(|| PolicyError::UnclosedBracket(url.to_string()))?;
        let port = rest
            .strip_prefix(':')
            .map(|p| p.parse().map_err(|_| PolicyError::BadPort(url.to_string())))
            .transpose()?
            .unwrap_or(default);
        return Ok((h.to_string(), port));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Ok((
            h.to_string(),
            p.parse()
                .map_err(|_| PolicyError::BadPort(url.to_string()))?,
        )),
        None => Ok((authority.to_string(), default)),
    }
}

async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, PolicyError> {
    tokio::net::lookup_host((host, port))
        .await
        .map(|a| a.collect())
        .map_err(|error| PolicyError::Resolve {
            host: host.to_string(),
            error,
        })
}

/// `url` with its host replaced by the address `hosts` maps it to, if any: where a client
/// with those name overrides really connects.
pub fn with_hosts(url: &str, hosts: &std::collections::BTreeMap<String, IpAddr>) -> String {
    let Ok((host, port)) = host_port(url) else {
        return url.to_string();
    };
    match hosts.get(&host.to_ascii_lowercase()) {
        None => url.to_string(),
        Some(ip) => {
            let scheme = url.split_once("://").map_or("http", |(s, _)| s);
            match ip {
                IpAddr::V4(v4) => format!("{scheme}://{v4}:{port}/"),
                IpAddr::V6(v6) => format!("{scheme}://[{v6}]:{port}/"),
            }
        }
    }
}

impl WorkerPolicy {
    /// Refuses `url` unless every address it resolves to is allowed.
    pub async fn check_target(&self, url: &str) -> Result<(), PolicyError> {
        let (host, port) = host_port(url)?;
        let addrs = resolve(&host, port).await?;
        if addrs.is_empty() {
            return Err(PolicyError::NoAddress(host));
        }
        let default = [
            AllowRule::Net(IpAddr::from([127, 0, 0, 0]), 8),
            AllowRule::Net(IpAddr::from(std::net::Ipv6Addr::LOCALHOST), 128),
        ];
        let rules: &[AllowRule] = if self.allow.is_empty() {
            &default
        } else {
            &self.allow
        };
        let mut host_ips = Vec::new();
        for r in rules {
            if let AllowRule::Host(h) = r {
                host_ips.extend(
                    resolve(h, port)
                        .await
                        .unwrap_or_default()
                        .iter()
                        .map(|a| a.ip()),
                );
            }
        }
        for a in &addrs {
            let ip = a.ip();
            let ok = rules.iter().any(|r| match r {
                AllowRule::Net(net, p) => in_net(ip, *net, *p),
                AllowRule::Host(_) => host_ips.contains(&ip),
            });
            if !ok {
                return Err(PolicyError::NotAllowed {
                    url: url.to_string(),
                    ip,
                    loopback_only: self.allow.is_empty(),
                });
            }
        }
        Ok(())
    }

    /// The most a change by hand may `scale` the open workloads of the `share` of `sc` this
    /// worker runs and stay within `--max-rate` (closed workloads keep their bound); `None`
    /// without a ceiling. Call after [`WorkerPolicy::check_ceilings`] accepted the work.
    pub fn scale_ceiling(&self, sc: &Scenario, share: f64) -> Option<f64> {
        let max = self.max_rate?;
        let peak = crate::rate_bound::segment_peak(sc, share).ok()?;
        let closed = peak.rate - peak.open;
        Some(if peak.open > 0.0 {
            ((max - closed) / peak.open).max(0.0)
        } else {
            1.0
        })
    }

    /// Refuses a segment (`share` of the plan) whose rate or duration is over the ceilings.
    pub fn check_ceilings(&self, sc: &Scenario, share: f64) -> Result<(), PolicyError> {
        let length = sc.planned_duration() + sc.graceful_stop;
        if let Some(max) = self.max_duration {
            if length > max {
                return Err(PolicyError::TooLong { length, max });
            }
        }
        if let Some(max) = self.max_rate {
            let peak =
                crate::rate_bound::segment_peak(sc, share).map_err(|u| PolicyError::Unpaced {
                    workload: u.workload,
                    vus: u.vus,
                    max,
                    think: (u.vus * u.requests) as f64 / max,
                })?;
            if peak.rate > max {
                let how = if peak.closed.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", peak.closed.join("; "))
                };
                return Err(PolicyError::TooFast {
                    peak: peak.rate,
                    how,
                    max,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_flags_make_a_policy_and_errors_name_the_flag() {
        let p =
            WorkerPolicy::from_flags(&["10.0.0.0/8".into()], Some("100/s"), Some("1m")).unwrap();
        assert_eq!((p.allow.len(), p.max_rate), (1, Some(100.0)));
        assert_eq!(p.max_duration, Some(Duration::from_secs(60)));
        for (flags, flag) in [
            (
                (vec!["10.0.0.0/99".to_string()], None, None),
                "--allow-target",
            ),
            ((vec![], Some("fast"), None), "--max-rate: "),
            ((vec![], None, Some("forever")), "--max-duration: "),
        ] {
            let e = WorkerPolicy::from_flags(&flags.0, flags.1, flags.2).unwrap_err();
            assert!(e.starts_with(flag), "{e}");
        }
    }

    #[test]
    fn max_rate_counts_the_redirects_of_http_follow_redirects_as_of_a_steps_own() {
        // One VU, 1 s think time, one step: 1 request per second plus one per redirect.
        let scenario = |http: &str, step: &str| {
            let text = format!(
                "name = \"r\"\ntarget = \"http://127.0.0.1:9\"\nduration = \"10s\"\n{http}\n\
                 [[workload]]\nname = \"w\"\nmodel = \"closed\"\nvus = 1\nthink_time = \"1s\"\n\
                 [[workload.step]]\nname = \"s\"\n{step}\nhttp = {{ path = \"/\" }}\n"
            );
            loadgen_scenario::parse(&text, "r.toml", &|_| None).unwrap()
        };
        let ceiling = WorkerPolicy {
            max_rate: Some(3.0),
            ..Default::default()
        };
        ceiling.check_ceilings(&scenario("", ""), 1.0).unwrap();
        // [http] follow_redirects = 4: 5 requests per iteration, 5/s, over 3/s.
        let e = ceiling
            .check_ceilings(&scenario("[http]\nfollow_redirects = 4", ""), 1.0)
            .unwrap_err();
        assert!(
            matches!(e, PolicyError::TooFast { peak, .. } if peak == 5.0),
            "{e}"
        );
        // The step's own setting wins over [http]'s, both ways.
        let own = "follow_redirects = 0";
        let s = scenario("[http]\nfollow_redirects = 4", own);
        ceiling.check_ceilings(&s, 1.0).unwrap();
        let e = ceiling
            .check_ceilings(&scenario("", "follow_redirects = 3"), 1.0)
            .unwrap_err();
        assert!(
            matches!(e, PolicyError::TooFast { peak, .. } if peak == 4.0),
            "{e}"
        );
    }

    #[test]
    fn the_scale_ceiling_keeps_the_segment_within_max_rate() {
        let text = "name = \"c\"\ntarget = \"http://127.0.0.1:9\"\nduration = \"10s\"\n\
            [[workload]]\nname = \"w\"\nmodel = \"open\"\nrate = \"100/s\"\nmax_vus = 5\n\
            [[workload.step]]\nname = \"s\"\nhttp = { method = \"GET\", path = \"/\" }\n";
        let sc = loadgen_scenario::parse(text, "c.toml", &|_: &str| None).unwrap();
        let p = WorkerPolicy::from_flags(&[], Some("200/s"), None).unwrap();
        // Half of 100/s is 50/s here: up to 4 times that stays within 200/s.
        let ceiling = p.scale_ceiling(&sc, 0.5).unwrap();
        assert!((ceiling - 4.0).abs() < 1e-9, "{ceiling}");
        assert_eq!(WorkerPolicy::default().scale_ceiling(&sc, 0.5), None);
    }

    #[test]
    fn hosts_overrides_name_the_real_destination_and_schemes_their_ports() {
        let hosts = [(
            "api.staging.example".to_string(),
            IpAddr::from([10, 0, 0, 5]),
        )]
        .into_iter()
        .collect();
        assert_eq!(
            with_hosts("https://API.staging.example/v1", &hosts),
            "https://10.0.0.5:443/"
        );
        assert_eq!(with_hosts("http://other:81/x", &hosts), "http://other:81/x");
        assert_eq!(
            host_port("postgres://u:p@db/pay").unwrap(),
            ("db".into(), 5432)
        );
        assert_eq!(host_port("rediss://cache").unwrap(), ("cache".into(), 6379));
        assert_eq!(host_port("wss://feed").unwrap(), ("feed".into(), 443));
    }

    #[test]
    fn rules_parse_and_match() {
        let r: AllowRule = "10.1.0.0/16".parse().unwrap();
        let AllowRule::Net(n, p) = r else { panic!() };
        assert!(in_net("10.1.200.3".parse().unwrap(), n, p));
        assert!(!in_net("10.2.0.1".parse().unwrap(), n, p));
        assert!("10.0.0.0/40".parse::<AllowRule>().is_err());
        assert_eq!(
            "Payments.internal".parse::<AllowRule>().unwrap(),
            AllowRule::Host("payments.internal".into())
        );
        assert_eq!(host_port("http://[::1]:81/x").unwrap(), ("::1".into(), 81));
        assert_eq!(host_port("https://a.b/").unwrap(), ("a.b".into(), 443));
        assert_eq!(host_port("wss://a.b/ws").unwrap(), ("a.b".into(), 443));
        assert_eq!(host_port("ws://a.b/ws").unwrap(), ("a.b".into(), 80));
    }

    #[tokio::test]
    async fn targets_are_checked_on_resolved_addresses() {
        let p = WorkerPolicy::default();
        p.check_target("http://127.0.0.1:9/").await.unwrap();
        p.check_target("http://localhost:9/").await.unwrap();
        assert!(p.check_target("http://10.0.0.1:80/").await.is_err());
        let only = WorkerPolicy {
            allow: vec!["127.0.0.3".parse().unwrap()],
            ..Default::default()
        };
        only.check_target("http://127.0.0.3:80/").await.unwrap();
        let e = only
            .check_target("http://127.0.0.2:80/")
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("127.0.0.2"), "{e}");
    }
}
