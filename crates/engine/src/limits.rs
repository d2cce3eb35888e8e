//! The process limits a run's connections meet: the open-file limit, raised to the hard limit
//! before a run so connection-heavy plans do not fail half-way with EMFILE, and the kernel's
//! ephemeral port range; the preflight that refuses a plan past either before any traffic.

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; returns the limit now in force
/// (0 when the limit is unknown or unlimited, which the preflight treats as "no limit").
pub fn raise_nofile() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let lim = getrlimit(Resource::Nofile);
    let (Some(cur), max) = (lim.current, lim.maximum) else {
        return 0;
    };
    match max {
        Some(max) if cur < max => {
            let want = Rlimit {
                current: Some(max),
                maximum: Some(max),
            };
            if setrlimit(Resource::Nofile, want).is_ok() {
                max
            } else {
                cur
            }
        }
        _ => cur,
    }
}

/// Size of the kernel's ephemeral port range (connections per source/destination pair).
pub fn ephemeral_ports() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut it = text.split_whitespace().map(|v| v.parse::<u64>().ok());
    let (lo, hi) = (it.next()??, it.next()??);
    Some(hi.saturating_sub(lo) + 1)
}

/// Refuses, before any traffic, a plan that needs more connections than this process may
/// open. `connections` is the most VUs that can exist at once (one connection each, HTTP or
/// WebSocket); `sources` is how many local addresses the client sockets are spread over
/// (WebSocket `source_addrs`; each has its own ephemeral ports); `embedded` doubles the
/// files needed (the demo target's side lives in this process too); `nofile` is the limit
/// [`raise_nofile`] returned.
pub fn preflight(
    connections: u64,
    sources: u64,
    embedded: bool,
    nofile: u64,
) -> Result<(), String> {
    // Runtimes, the listener, stdio and result files.
    const SPARE: u64 = 64;
    let files = connections * if embedded { 2 } else { 1 } + SPARE;
    if nofile > 0 && files > nofile {
        return Err(format!(
            "the scenario may open {connections} connections ({files} files{}), but this process may open only {nofile} files. \
             Raise the limit (`ulimit -n {files}`; the hard limit is set in /etc/security/limits.conf or systemd's LimitNOFILE), \
             lower max_vus/vus, {}or split the run with --segment across machines",
            if embedded { " with the embedded target's side" } else { "" },
            if embedded { "run the target in another process (`loadgen target --listen ADDR`, then --target), " } else { "" }
        ));
    }
    if let Some(ports) = ephemeral_ports() {
        let sources = sources.max(1);
        if connections > ports * sources {
            return Err(format!(
                "the scenario may open {connections} connections to one address from {sources} source address(es), but the ephemeral port range has only {ports} ports per source. \
                 Widen net.ipv4.ip_local_port_range, spread WebSocket clients with source_addrs = [\"127.0.0.2\", \"127.0.0.3\", …], lower max_vus/vus, or split the run with --segment across machines"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preflight_counts_files_and_ports_per_source() {
        assert!(preflight(15_000, 1, false, 20_000).is_ok());
        let e = preflight(15_000, 1, true, 20_000).unwrap_err();
        assert!(
            e.contains("30064 files") && e.contains("loadgen target --listen"),
            "{e}"
        );
        if let Some(ports) = ephemeral_ports() {
            let e = preflight(ports + 1, 1, false, 0).unwrap_err();
            assert!(e.contains("source_addrs"), "{e}");
            assert!(preflight(ports + 1, 2, false, 0).is_ok());
        }
    }
}
