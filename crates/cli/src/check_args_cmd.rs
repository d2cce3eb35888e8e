//! `loadgen check-args ARGS…` (hidden): parses a command line as `loadgen` would, values
//! included (segments, instants, durations, rates, latency models, regression gates), and
//! runs nothing. Deploy manifests and the docs' command lines are tested with it, so a
//! renamed flag or a misspelt value breaks a test instead of a Kubernetes Job or a reader's
//! first run.

use crate::args::{Cli, Command};
use crate::{exit, Fail};
use clap::Parser;

fn bad(msg: String) -> Fail {
    Fail::bad_input(anyhow::anyhow!(msg))
}

/// Checks `value` (when given) with `parse`, naming `flag` in the error.
fn check<T, E: std::fmt::Display>(
    flag: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<(), Fail> {
    match value {
        Some(v) => parse(v).map(drop).map_err(|e| bad(format!("{flag}: {e}"))),
        None => Ok(()),
    }
}

pub fn run(args: &[String]) -> Result<u8, Fail> {
    use loadgen_scenario::{parse_duration, parse_rate};
    let argv = std::iter::once("loadgen".to_string()).chain(args.iter().cloned());
    let cli = Cli::try_parse_from(argv).map_err(|e| bad(e.to_string()))?;
    // The values the commands parse after clap, with the same functions they use.
    match &cli.command {
        Command::Run(r) => {
            let settings = crate::run_cmd::settings(r);
            loadgen_runner::check_flags(&settings).map_err(crate::inputs::fail)?;
        }
        Command::Plan(p) => {
            check("--duration", p.duration.as_deref(), parse_duration)?;
            check("--assume-latency", Some(&p.assume_latency), parse_duration)?;
        }
        Command::Compare { fail_if, .. } => {
            for g in fail_if {
                check("--fail-if", Some(g), loadgen_report::compare::parse_gate)?;
            }
        }
        Command::Target(t) => {
            check("--latency", Some(&t.latency), |l| {
                l.parse::<loadgen_demo::LatencyModel>()
            })?;
            check("--callback-delay", Some(&t.callback_delay), parse_duration)?;
        }
        Command::Worker(w) => {
            check("--max-rate", w.max_rate.as_deref(), parse_rate)?;
            check("--max-duration", w.max_duration.as_deref(), parse_duration)?;
        }
        Command::Coordinator(c) => {
            check("--duration", c.duration.as_deref(), parse_duration)?;
            check("--expect-wait", Some(&c.expect_wait), parse_duration)?;
        }
        Command::Ctl { command, .. } => {
            check(
                "command",
                Some(&command.join(" ")),
                loadgen_dashboard::parse_command,
            )?;
        }
        Command::Validate { .. }
        | Command::Merge(_)
        | Command::Report(_)
        | Command::CheckArgs { .. }
        | Command::Import(_) => {}
    }
    crate::say!("ok: {}", args.join(" "));
    Ok(exit::PASSED)
}
