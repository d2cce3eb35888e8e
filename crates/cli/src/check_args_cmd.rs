//! `loadgen check-args ARGS…` (hidden): parses a command line as `loadgen` would, values
//! included (segments, instants, durations, rates, latency models, regression gates), and
//! runs nothing. Deploy manifests and the docs' command lines are tested with it, so a
//! renamed flag or a misspelt value breaks a test instead of a Kubernetes Job or a reader's
//! first run. Each command's values are parsed by the function the command itself uses.

use crate::args::{Cli, Command};
use crate::inputs::{bad, fail};
use crate::{exit, Fail};
use clap::Parser;

pub fn run(args: &[String]) -> Result<u8, Fail> {
    let argv = std::iter::once("loadgen".to_string()).chain(args.iter().cloned());
    let cli = Cli::try_parse_from(argv).map_err(|e| bad(e.to_string()))?;
    match &cli.command {
        Command::Run(r) => {
            loadgen_runner::check_flags(&crate::run_cmd::settings(r)).map_err(fail)?
        }
        Command::Plan(p) => drop(crate::plan_cmd::flags(p)?),
        Command::Compare { fail_if, .. } => drop(crate::compare_cmd::gates(fail_if)?),
        Command::Target(t) => drop(crate::target_cmd::config(t).map_err(Fail::bad_input)?),
        Command::Worker(w) => {
            let settings = crate::fleet_cmd::worker_settings(w);
            drop(loadgen_runner::worker_policy(&settings).map_err(fail)?)
        }
        Command::Coordinator(c) => {
            let settings = crate::fleet_cmd::coordinator_settings(c);
            loadgen_runner::check_coordinator_flags(&settings).map_err(fail)?
        }
        Command::Ctl { command, .. } => drop(
            loadgen_dashboard::parse_command(&command.join(" "))
                .map_err(|e| bad(format!("command: {e}")))?,
        ),
        Command::Validate { .. }
        | Command::Merge(_)
        | Command::Report(_)
        | Command::CheckArgs { .. }
        | Command::Import(_) => {}
    }
    crate::say!("ok: {}", args.join(" "));
    Ok(exit::PASSED)
}
