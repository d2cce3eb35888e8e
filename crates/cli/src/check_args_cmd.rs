//! `loadgen check-args ARGS…` (hidden): parses a command line as `loadgen` would, values
//! included (segments, instants, durations), and runs nothing. Deploy manifests are tested
//! with it, so a renamed flag breaks the test instead of a Kubernetes Job.

use crate::args::{Cli, Command};
use crate::{exit, Fail};
use clap::Parser;

fn bad(msg: String) -> Fail {
    Fail::bad_input(anyhow::anyhow!(msg))
}

pub fn run(args: &[String]) -> Result<u8, Fail> {
    let argv = std::iter::once("loadgen".to_string()).chain(args.iter().cloned());
    let cli = Cli::try_parse_from(argv).map_err(|e| bad(e.to_string()))?;
    if let Command::Run(r) = &cli.command {
        r.check_flags_fit_the_file().map_err(bad)?;
        if let Some(s) = &r.segment {
            s.parse::<loadgen_engine::Segment>()
                .map_err(|e| bad(format!("--segment: {e}")))?;
        }
        if let Some(t) = &r.start_at {
            loadgen_fleet::parse_rfc3339(t).map_err(|e| bad(format!("--start-at: {e}")))?;
        }
        if let Some(d) = &r.duration {
            loadgen_scenario::parse_duration(d).map_err(|e| bad(format!("--duration: {e}")))?;
        }
    }
    crate::say!("ok: {}", args.join(" "));
    Ok(exit::PASSED)
}
