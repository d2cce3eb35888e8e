//! `loadgen worker`: serves coordinators (see `loadgen_fleet::worker`) and writes each
//! segment's full results folder when its run ends.

use crate::outputs::{write_all, Assembled};
use crate::Fail;
use anyhow::Context;
use loadgen_fleet::policy::{AllowRule, WorkerPolicy};
use loadgen_fleet::{FinishedRun, WorkerHooks};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// Address to listen on for the coordinator (port 0 picks one; the address is printed).
    #[arg(long, default_value = "0.0.0.0:7878")]
    pub listen: SocketAddr,
    /// Targets this worker may load: address blocks (10.0.0.0/8), addresses or host names,
    /// checked on the resolved address (repeatable; default: loopback only).
    #[arg(long = "allow-target")]
    pub allow_target: Vec<String>,
    /// Highest request rate this worker sends, whatever the coordinator asks (e.g. 20000/s).
    #[arg(long)]
    pub max_rate: Option<String>,
    /// Longest run this worker accepts (e.g. 30m).
    #[arg(long)]
    pub max_duration: Option<String>,
    /// File holding the shared secret (default: the LOADGEN_SECRET environment variable).
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
    /// TLS certificate (PEM) to present; without it one is generated at start.
    #[arg(long, requires = "key")]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) of --cert.
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// Folder under which each run's results folder is kept.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Dial a coordinator started with `--expect` instead of listening.
    #[arg(long)]
    pub connect: Option<String>,
    /// With --connect: accept only a coordinator certificate with this SHA-256 fingerprint
    /// (repeatable; default: trust on first use, printed).
    #[arg(long = "coordinator-fingerprint", requires = "connect")]
    pub coordinator_fingerprint: Vec<String>,
    /// Serve one coordinator session, then exit.
    #[arg(long)]
    pub once: bool,
}

struct Hooks;

impl WorkerHooks for Hooks {
    fn log(&mut self, line: &str) {
        crate::say!("loadgen worker: {line}");
        let _ = std::io::stdout().flush();
    }

    fn finished(&mut self, run: FinishedRun) {
        let written = write_all(
            &run.out,
            &Assembled {
                sc: &run.scenario,
                info: &run.info,
                intervals: &run.intervals,
                report: &run.report,
                raw_scenario: Some(&run.scenario_text),
                interrupted: false,
                incomplete: None,
                stats: &crate::self_stats::collect(&run.report),
            },
        );
        match written {
            Ok((_, summary)) => self.log(&format!(
                "results in {} ({} requests, verdict {})",
                run.out.display(),
                summary.totals.requests,
                summary.verdict
            )),
            Err(e) => self.log(&format!("writing {}: {:#}", run.out.display(), e.error)),
        }
    }
}

pub fn secret(file: Option<&std::path::Path>) -> Result<loadgen_fleet::auth::Secret, Fail> {
    loadgen_fleet::auth::Secret::resolve(file, std::env::var("LOADGEN_SECRET").ok())
        .map_err(Fail::bad_input)
}

pub fn run(a: &WorkerArgs) -> Result<u8, Fail> {
    let bad = |m: String| Fail::bad_input(anyhow::anyhow!(m));
    let secret = secret(a.secret_file.as_deref())?;
    let allow = a
        .allow_target
        .iter()
        .map(|r| {
            r.parse::<AllowRule>()
                .map_err(|e| bad(format!("--allow-target {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let max_rate = a
        .max_rate
        .as_deref()
        .map(|r| loadgen_scenario::parse_rate(r).map_err(|e| bad(format!("--max-rate: {e}"))))
        .transpose()?;
    let max_duration = a
        .max_duration
        .as_deref()
        .map(|d| {
            loadgen_scenario::parse_duration(d).map_err(|e| bad(format!("--max-duration: {e}")))
        })
        .transpose()?;
    let identity = match (&a.cert, &a.key) {
        (Some(c), Some(k)) => {
            loadgen_fleet::tls::Identity::from_pem(c, k).map_err(Fail::bad_input)?
        }
        _ => loadgen_fleet::tls::Identity::generate(&["loadgen-worker".to_string()])?,
    };
    let fingerprint = identity.fingerprint();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let cfg = |identity| loadgen_fleet::WorkerConfig {
            identity,
            secret: secret.clone(),
            policy: WorkerPolicy {
                allow: allow.clone(),
                max_rate,
                max_duration,
            },
            results_root: a.out.clone(),
            once: a.once,
        };
        if let Some(addr) = &a.connect {
            let cfg = cfg(identity);
            loop {
                crate::say!("loadgen worker: connecting to coordinator {addr}");
                if let Err(e) = loadgen_fleet::connect_to_coordinator(
                    addr,
                    &a.coordinator_fingerprint,
                    &cfg,
                    &mut Hooks,
                )
                .await
                {
                    Hooks.log(&format!("session with {addr} ended: {e}"));
                }
                if a.once {
                    return Ok(crate::exit::PASSED);
                }
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
        }
        let listener = tokio::net::TcpListener::bind(a.listen)
            .await
            .with_context(|| format!("listening on {}", a.listen))
            .map_err(Fail::bad_input)?;
        let addr = listener.local_addr()?;
        crate::say!("loadgen worker listening on {addr}");
        crate::say!("loadgen worker: certificate SHA-256 {fingerprint}");
        let _ = std::io::stdout().flush();
        loadgen_fleet::serve(listener, cfg(identity), &mut Hooks).await?;
        Ok::<_, Fail>(crate::exit::PASSED)
    })
}
