//! Command-line arguments (clap). Parsing only; no behaviour.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// loadgen: load tests with a verdict — open and closed workloads, HDR latency, SLA gates.
#[derive(Debug, Parser)]
#[command(name = "loadgen", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and judge it against its thresholds (exit 0 pass, 3 fail).
    Run(Box<RunArgs>),
    /// Check a scenario without sending traffic (exit 0 valid, 2 invalid).
    Validate {
        /// Scenario file (TOML).
        file: PathBuf,
    },
    /// Show the load a scenario will send (rate curve, totals, VUs), sending nothing.
    Plan(PlanArgs),
    /// Compare two runs' results folders: exit 3 on a regression past --fail-if or a step
    /// of the baseline missing in the new run, 2 when a file is not a loadgen summary.
    Compare {
        /// Baseline results folder (or its summary.json).
        baseline: PathBuf,
        /// New results folder (or its summary.json).
        new: PathBuf,
        /// Regression gate, e.g. `p(99) > +10%`, `rate < -5%`, `error_rate > +0.5%` (repeatable).
        #[arg(long = "fail-if")]
        fail_if: Vec<String>,
        /// Do not fail when a step of the baseline is missing in the new run (or sent nothing).
        #[arg(long)]
        allow_missing: bool,
    },
    /// Run the embedded demo payments API on its own.
    Target(TargetArgs),
    /// Merge the results folders of segments of one plan into one verdict (exit as `run`).
    Merge(MergeArgs),
    /// Rebuild the full results of a run that did not reach its end (kill -9, a crash) from
    /// its folder, judged; never exit 0 (4: every threshold held on what ran, 3: one failed).
    Report(ReportArgs),
    /// Serve a coordinator: run the segments it assigns (TLS, shared secret, own limits).
    Worker(WorkerArgs),
    /// Run a scenario across workers started with `loadgen worker`; one merged verdict.
    Coordinator(Box<CoordinatorArgs>),
    /// Write a scenario from a recording to stdout: `loadgen import har FILE.har > journey.toml`.
    #[command(subcommand)]
    Import(ImportArgs),
    /// Change a running dashboard's run: pause, resume, scale F, vus N or stop (token from
    /// LOADGEN_TOKEN or --token-file, never the command line).
    Ctl {
        /// The dashboard's URL (http://127.0.0.1:5665/, https://HOST:PORT/ with --fingerprint).
        url: String,
        /// The command: pause | resume | scale F | vus N | stop.
        #[arg(num_args = 1..=2, required = true)]
        command: Vec<String>,
        /// A file holding the token (instead of LOADGEN_TOKEN).
        #[arg(long)]
        token_file: Option<std::path::PathBuf>,
        /// An https:// dashboard's certificate SHA-256, as printed beside its URL (pinned:
        /// any other certificate is refused before the token is sent).
        #[arg(long)]
        fingerprint: Option<String>,
    },
    /// Check that ARGS form a valid loadgen command line without running it (deploy manifests).
    #[command(hide = true)]
    CheckArgs {
        /// The command line, without the leading `loadgen`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 1..)]
        args: Vec<String>,
    },
}

/// What `loadgen import` reads.
#[derive(Debug, Subcommand)]
pub enum ImportArgs {
    /// A HAR file (a browser's "Save all as HAR", mitmproxy's hardump): a step per request,
    /// captures inferred, secrets as ${VAR} (named on stderr), docs/journeys.md.
    Har {
        /// The recording.
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML); leave out and give --url for an ad-hoc run.
    #[arg(required_unless_present = "url", conflicts_with = "url")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub adhoc: AdHocArgs,
    /// PEM bundle of CA certificates to trust beside the web PKI and the system's store;
    /// replaces the scenario's `[http] ca_file`.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// PEM client certificate (leaf first) for servers that ask for one (mutual TLS), with
    /// --client-key; replaces the scenario's `[http] client_cert`.
    #[arg(long, value_name = "FILE", requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// PEM private key of --client-cert; replaces the scenario's `[http] client_key`.
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// Base URL of the system under test; overrides the scenario's `target`.
    #[arg(long)]
    pub target: Option<String>,
    /// Override the duration of every workload (e.g. 30s, 2m).
    #[arg(long)]
    pub duration: Option<String>,
    /// Results folder (default: results/<scenario>-<timestamp>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write into an --out folder that already holds files (loadgen's own files there are
    /// replaced; anything else is left alone).
    #[arg(long)]
    pub force: bool,
    /// Seed for every random choice (arrival gaps, think times, payloads).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads, 1 to 1024 (default: the number of CPUs).
    #[arg(long, value_parser = loadgen_runner::threads_flag)]
    pub threads: Option<usize>,
    /// Open model: shortest time between two wakes of a thread's arrival timer (default
    /// 500us). Arrivals are never sent early; smaller means less schedule lag and more CPU,
    /// 0 wakes for every arrival. One-step iterations at an arrival per granularity or more
    /// read answers at these wakes, timed by the kernel (0: never).
    #[arg(long, value_name = "DURATION")]
    pub arrival_granularity: Option<String>,
    /// Length of one reporting interval, 100ms to 1h in whole milliseconds (default 1s): a
    /// live line, a metrics.jsonl and timeseries.csv row each. 10s for runs of days keeps
    /// metrics.jsonl ten times smaller.
    #[arg(long, value_name = "DURATION")]
    pub interval: Option<String>,
    /// Run only segment i of n of the plan (e.g. 0/3).
    #[arg(long)]
    pub segment: Option<String>,
    /// Start the clock at this RFC 3339 instant (e.g. 2026-12-01T06:00:00Z), for segments
    /// on several machines that must start together.
    #[arg(long)]
    pub start_at: Option<String>,
    /// Print only the final summary (no per-second lines).
    #[arg(long, short)]
    pub quiet: bool,
    /// Serve Prometheus metrics during the run at http://ADDR/metrics (e.g. 127.0.0.1:9464).
    #[arg(long)]
    pub metrics_addr: Option<std::net::SocketAddr>,
    #[command(flatten)]
    pub dashboard: DashboardArgs,
    /// Print each interval as one JSON object per line instead of the human line.
    #[arg(long)]
    pub json_progress: bool,
}

// The flags of an ad-hoc run (`--url`), refused beside a scenario file. (A `//` comment: a
// doc comment on a flattened struct would become help text.)
#[derive(Debug, Args)]
pub struct AdHocArgs {
    /// Ad-hoc run: request this URL (closed model with --vus, open model with --rate).
    #[arg(long)]
    pub url: Option<String>,
    /// Ad-hoc: VUs (closed model), or the VU pool ceiling with --rate (default 50).
    #[arg(long)]
    pub vus: Option<u64>,
    /// Ad-hoc: arrival rate for the open model, e.g. 20000/s.
    #[arg(long)]
    pub rate: Option<String>,
    /// Ad-hoc: HTTP method (default GET).
    #[arg(long)]
    pub method: Option<String>,
    /// Ad-hoc: extra header `name: value` (repeatable).
    #[arg(long = "header", short = 'H')]
    pub headers: Vec<String>,
    /// Ad-hoc: request body.
    #[arg(long)]
    pub body: Option<String>,
    /// Ad-hoc: HTTP/2 (h2c prior knowledge, or ALPN over TLS).
    #[arg(long)]
    pub http2: bool,
    /// Ad-hoc: accept self-signed certificates.
    #[arg(long)]
    pub insecure: bool,
    /// Ad-hoc: threshold, `p(99)<10ms` (latency) or `errors: rate<1%` (repeatable). Without
    /// an `errors` threshold the run is also judged on `errors: rate < 1%`.
    #[arg(long = "threshold")]
    pub thresholds: Vec<String>,
    /// Ad-hoc: judge only the --threshold given, not the default `errors: rate < 1%` (with
    /// none given, the run is not judged).
    #[arg(long)]
    pub no_default_thresholds: bool,
}

impl AdHocArgs {
    pub fn flags(&self) -> loadgen_scenario::adhoc::Flags<'_> {
        loadgen_scenario::adhoc::Flags {
            vus: self.vus,
            rate: self.rate.as_deref(),
            method: self.method.as_deref(),
            headers: &self.headers,
            body: self.body.as_deref(),
            http2: self.http2,
            insecure: self.insecure,
            thresholds: &self.thresholds,
            no_default_thresholds: self.no_default_thresholds,
        }
    }
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Scenario file (TOML).
    pub file: PathBuf,
    /// Also write the rate curve as CSV to this file.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Response time assumed for VU estimates and closed-model rates.
    #[arg(long, default_value = "100ms")]
    pub assume_latency: String,
    /// Override the duration of every workload, as `run --duration` does.
    #[arg(long)]
    pub duration: Option<String>,
}

#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Added latency per API request: 0, 5ms, uniform:1ms..20ms, lognormal:median=5ms,p99=50ms.
    #[arg(long, default_value = "0")]
    pub latency: String,
    /// Share of API requests answered with 500 (0..1).
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Seed for the latency and error draws.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Server runtime threads.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Secret the webhook routes verify with (`whsec_` + base64; default: a demo secret).
    #[arg(long, env = "LOADGEN_WEBHOOK_SECRET", default_value = loadgen_demo::WebhookSecret::DEMO, hide_env_values = true, hide_default_value = true)]
    pub webhook_secret: loadgen_demo::WebhookSecret,
    /// Delay before /api/payments/async calls back.
    #[arg(long, default_value = "10ms")]
    pub callback_delay: String,
    /// Misbehave on purpose: NAME or NAME=SHARE of /api/ requests (connections for refuse
    /// and tls), repeatable. NAME: refuse, tls, reset, reset-body, stall, slow, garbage,
    /// wrong-length, huge-body, 503, 429. Any request may also ask with the header
    /// `x-loadgen-fault: NAME`.
    #[arg(long = "fault", value_name = "NAME[=SHARE]")]
    pub faults: Vec<loadgen_demo::FaultRule>,
    /// `required`: every /api/ request but the login needs a token from POST /api/login
    /// (401 without one); `optional`: anonymous requests are served, a bad token is 401.
    #[arg(long, default_value = "optional")]
    pub auth: loadgen_demo::AuthMode,
    /// How long a login's token lives.
    #[arg(long, default_value = "1h")]
    pub token_ttl: String,
    /// Logins allowed per user (e.g. 10/min); past it, 429 with Retry-After.
    #[arg(long)]
    pub login_limit: Option<loadgen_demo::RateLimit>,
    /// Also hand the token out as a `session` cookie, and accept it from one.
    #[arg(long)]
    pub session_cookie: bool,
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Results folders of `loadgen run --segment i/n` (or of earlier merges).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Folder for the merged results (default: results/<scenario>-merged-<timestamp>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write into an --out folder that already holds files (loadgen's own files there are
    /// replaced; anything else is left alone).
    #[arg(long)]
    pub force: bool,
    /// Scenario file for names and thresholds (default: the scenario.toml copy in the first
    /// folder).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Merge even if segments are missing; the summary says what share of the plan was run.
    #[arg(long)]
    pub allow_partial: bool,
    /// Print only the verdict line, not the summary tables.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Results folder of the run (its run.json and metrics.jsonl are read).
    pub dir: PathBuf,
    /// Folder for the rebuilt results (default: DIR-report beside DIR).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write into an --out folder that already holds files (loadgen's own files there are
    /// replaced; anything else is left alone).
    #[arg(long)]
    pub force: bool,
    /// Scenario file for names and thresholds (default: the scenario.toml copy in DIR).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Print only the verdict line, not the summary tables.
    #[arg(long, short)]
    pub quiet: bool,
}

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

#[derive(Debug, clap::Args)]
pub struct CoordinatorArgs {
    /// Scenario file (TOML); `${VAR}` are expanded here, workers receive the result.
    pub file: PathBuf,
    /// Worker addresses, comma-separated (`10.0.0.5:7878,10.0.0.6:7878`); worker i runs
    /// segment i/n.
    #[arg(
        long,
        value_delimiter = ',',
        required_unless_present = "expect",
        conflicts_with = "expect"
    )]
    pub workers: Vec<String>,
    /// Instead of dialling workers, wait for N to connect (`loadgen worker --connect`);
    /// segments go in the order they authenticate.
    #[arg(long)]
    pub expect: Option<usize>,
    /// With --expect: address workers connect to.
    #[arg(long, default_value = "0.0.0.0:7879", requires = "expect")]
    pub listen: std::net::SocketAddr,
    /// With --expect: how long to wait for every worker (e.g. 2m).
    #[arg(long, default_value = "2m", requires = "expect")]
    pub expect_wait: String,
    /// With --expect: TLS certificate (PEM) to present; without it one is generated.
    #[arg(long, requires = "key", requires = "expect")]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) of --cert.
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// Base URL of the system under test; overrides the scenario's `target`.
    #[arg(long)]
    pub target: Option<String>,
    /// Override the duration of every workload (e.g. 30s, 2m).
    #[arg(long)]
    pub duration: Option<String>,
    /// Seed for every random choice.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Engine threads on each worker (default: the worker's CPUs).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Accept only workers whose certificate has this SHA-256 fingerprint (repeatable;
    /// default: trust on first use, printed).
    #[arg(long = "worker-fingerprint")]
    pub worker_fingerprint: Vec<String>,
    /// File holding the shared secret (default: the LOADGEN_SECRET environment variable).
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
    /// Stop the whole run when a worker is lost (default: go on and report the loss).
    #[arg(long)]
    pub abort_on_worker_loss: bool,
    /// Results folder (default: results/<scenario>-<timestamp>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write into an --out folder that already holds files (loadgen's own files there are
    /// replaced; anything else is left alone).
    #[arg(long)]
    pub force: bool,
    /// Print only the final summary (no per-second lines).
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub dashboard: DashboardArgs,
}

/// The live dashboard's flags, on `run` and `coordinator` alike.
#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// Serve the live dashboard (plain HTTP on loopback only; `--dashboard=127.0.0.1:0`
    /// picks a free port; beyond loopback add --dashboard-tls).
    #[arg(long, value_name = "ADDR", num_args = 0..=1, require_equals = true,
          default_missing_value = loadgen_dashboard::DEFAULT_ADDR)]
    pub dashboard: Option<std::net::SocketAddr>,
    /// Serve the dashboard over HTTPS (TLS 1.3, a certificate generated at start-up unless
    /// --dashboard-cert; its SHA-256 fingerprint is printed): any address, the token for
    /// everything.
    #[arg(long, requires = "dashboard")]
    pub dashboard_tls: bool,
    /// PEM certificate (chain) for the HTTPS dashboard, with --dashboard-key.
    #[arg(long, value_name = "FILE", requires_all = ["dashboard_key", "dashboard"])]
    pub dashboard_cert: Option<PathBuf>,
    /// PEM private key of --dashboard-cert.
    #[arg(long, value_name = "FILE", requires = "dashboard_cert")]
    pub dashboard_key: Option<PathBuf>,
}
