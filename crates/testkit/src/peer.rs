//! The real peers some tests check loadgen against, and the one rule for a missing one.
//!
//! A test that returned early when its peer was missing passed without checking anything, and
//! a green suite then claimed what nobody checked. So: under CI (`CI` set to anything but
//! `0`/`false`/`no`, as CI systems and `.ci/run` set it) a missing peer **fails** the test,
//! naming the peer and how to install it; elsewhere the test is skipped with a note written
//! straight to the terminal (past the test harness's output capture, so it is seen).
//!
//! `LOADGEN_PEERS_HIDE=nginx,hdrh` makes the named peers count as missing, so this rule and
//! `scripts/test.sh` (which honours the same variable) can be tried on a machine that has them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The variable that hides installed peers, comma-separated names.
pub const HIDE_VAR: &str = "LOADGEN_PEERS_HIDE";

/// How a peer is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// A program on `PATH`, or in an `sbin` folder (where Debian puts nginx).
    Program(&'static str),
    /// A module `python3` can import.
    PythonModule(&'static str),
    /// A PostgreSQL server program: on `PATH`, or in Debian's `/usr/lib/postgresql/N/bin`.
    PostgresProgram(&'static str),
}

/// A real program or library a test checks loadgen against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// The name messages and `LOADGEN_PEERS_HIDE` use.
    pub name: &'static str,
    /// How to install it (what `scripts/test.sh` runs).
    pub install: &'static str,
    probe: Probe,
}

/// nginx: HTTP/1.1 and h2c conformance of both client paths; mutual TLS (`ssl_verify_client on`).
pub const NGINX: Peer = Peer {
    name: "nginx",
    install: "apt-get install nginx",
    probe: Probe::Program("nginx"),
};

/// Prometheus's `promtool`: parses the `--metrics-addr` text.
pub const PROMTOOL: Peer = Peer {
    name: "promtool",
    install: "apt-get install prometheus",
    probe: Probe::Program("promtool"),
};

/// `openssl`: makes the certificate a worker is pinned by.
pub const OPENSSL: Peer = Peer {
    name: "openssl",
    install: "apt-get install openssl",
    probe: Probe::Program("openssl"),
};

/// Python's HdrHistogram library: decodes `latency.hlog` in another language.
pub const HDRH: Peer = Peer {
    name: "hdrh",
    install: "python3 -m pip install hdrhistogram",
    probe: Probe::PythonModule("hdrh"),
};

/// Stripe's Python library: verifies Stripe-scheme webhook signatures.
pub const STRIPE: Peer = Peer {
    name: "stripe",
    install: "python3 -m pip install stripe",
    probe: Probe::PythonModule("stripe"),
};

/// The Standard Webhooks Python library: verifies Standard-scheme signatures.
pub const STANDARD_WEBHOOKS: Peer = Peer {
    name: "standardwebhooks",
    install: "python3 -m pip install standardwebhooks",
    probe: Probe::PythonModule("standardwebhooks"),
};

/// Python's `websockets`: an independent WebSocket server.
pub const WEBSOCKETS: Peer = Peer {
    name: "websockets",
    install: "python3 -m pip install websockets",
    probe: Probe::PythonModule("websockets"),
};

/// `redis-server`: the Redis load tests' server (throwaway instances, [`crate::redis`]).
pub const REDIS: Peer = Peer {
    name: "redis-server",
    install: "apt-get install redis-server redis-tools",
    probe: Probe::Program("redis-server"),
};

/// PostgreSQL's server programs (`initdb`, `postgres`, `pg_isready`): throwaway databases
/// for the loadgen-pg tests ([`crate::postgres`]).
pub const POSTGRES: Peer = Peer {
    name: "postgresql",
    install: "apt-get install postgresql",
    probe: Probe::PostgresProgram("initdb"),
};

/// Chromium, headless: opens the live dashboard page and report.html (its step picker).
pub const CHROMIUM: Peer = Peer {
    name: "chromium",
    install: "apt-get install chromium",
    probe: Probe::Program("chromium"),
};

/// Every peer, in the order `scripts/test.sh` checks them.
pub const ALL: [Peer; 10] = [
    NGINX,
    PROMTOOL,
    OPENSSL,
    HDRH,
    STRIPE,
    STANDARD_WEBHOOKS,
    WEBSOCKETS,
    REDIS,
    POSTGRES,
    CHROMIUM,
];

/// What a test does about its peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Run this program (the peer itself, or `python3` for a Python module).
    Run(PathBuf),
    /// Skip, with this note.
    Skip(String),
    /// Fail, with this message.
    Fail(String),
}

/// Why a peer counts as missing.
#[derive(Debug, thiserror::Error)]
pub enum Missing {
    #[error("hidden by {HIDE_VAR}")]
    Hidden,
    #[error("`{0}` not found")]
    NotFound(&'static str),
    #[error("python3 did not run: {0}")]
    PythonDidNotRun(std::io::Error),
    /// The module's import failed; the last line of Python's error.
    #[error("`import {module}` failed: {last}")]
    ImportFailed { module: &'static str, last: String },
}

impl Peer {
    /// The program to run for this peer, or why it is missing.
    pub fn find(&self) -> Result<PathBuf, Missing> {
        if hidden(self.name) {
            return Err(Missing::Hidden);
        }
        match self.probe {
            Probe::Program(name) => program(name).ok_or(Missing::NotFound(name)),
            Probe::PostgresProgram(name) => postgres_program(name).ok_or(Missing::NotFound(name)),
            Probe::PythonModule(module) => {
                let python = program("python3").ok_or(Missing::NotFound("python3"))?;
                let out = Command::new(&python)
                    .args(["-c", &format!("import {module}")])
                    .stdin(Stdio::null())
                    .output()
                    .map_err(Missing::PythonDidNotRun)?;
                if out.status.success() {
                    Ok(python)
                } else {
                    let err = String::from_utf8_lossy(&out.stderr);
                    let last = err.lines().last().unwrap_or("import failed").trim();
                    Err(Missing::ImportFailed {
                        module,
                        last: last.to_string(),
                    })
                }
            }
        }
    }

    /// For the test `test`: the program to run, or `None` after a note when the peer is
    /// missing outside CI. Under CI a missing peer panics, failing the test.
    pub fn require(&self, test: &str) -> Option<PathBuf> {
        match decide(self, test, self.find(), under_ci()) {
            Verdict::Run(path) => Some(path),
            Verdict::Skip(note) => {
                // Straight to the terminal: the harness captures `eprintln!` of passing tests.
                let _ = writeln!(std::io::stderr(), "{note}");
                None
            }
            Verdict::Fail(message) => panic!("{message}"),
        }
    }
}

/// The rule, apart from the environment: run what was found; otherwise fail under CI and
/// skip elsewhere.
pub fn decide(peer: &Peer, test: &str, found: Result<PathBuf, Missing>, ci: bool) -> Verdict {
    let why = match found {
        Ok(path) => return Verdict::Run(path),
        Err(why) => why,
    };
    let (name, install) = (peer.name, peer.install);
    if ci {
        Verdict::Fail(format!(
            "{test} needs {name}, which is missing ({why}). Under CI a missing peer fails \
             the test instead of skipping it. Install it with `{install}` \
             (scripts/test.sh installs every peer)."
        ))
    } else {
        Verdict::Skip(format!(
            "SKIPPED {test}: {name} is missing ({why}); install it with `{install}` \
             (scripts/test.sh installs every peer). Under CI this test fails instead."
        ))
    }
}

/// True when the `CI` variable says this is a CI run.
pub fn under_ci() -> bool {
    ci_value(std::env::var("CI").ok().as_deref())
}

/// Whether a value of `CI` means "this is CI": set, and not `0`, `false` or `no`.
pub fn ci_value(value: Option<&str>) -> bool {
    let Some(v) = value.map(str::trim) else {
        return false;
    };
    !v.is_empty() && !["0", "false", "no"].contains(&v.to_ascii_lowercase().as_str())
}

/// True when `name` is in the comma-separated `list`.
pub fn listed(list: &str, name: &str) -> bool {
    list.split(',').map(str::trim).any(|n| n == name)
}

fn hidden(name: &str) -> bool {
    std::env::var(HIDE_VAR).is_ok_and(|list| listed(&list, name))
}

/// `name` on `PATH`, else in the `sbin` folders a non-root `PATH` often lacks.
fn program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

/// `name` in the newest `/usr/lib/postgresql/N/bin` (Debian keeps the server programs off
/// `PATH`), else on `PATH`.
pub(crate) fn postgres_program(name: &str) -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            Some((v, e.path().join("bin").join(name)))
        })
        .filter(|(_, p)| is_executable(p))
        .collect();
    versions.sort();
    versions.pop().map(|(_, p)| p).or_else(|| program(name))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_found_peer_runs_whatever_ci_says() {
        for ci in [false, true] {
            let v = decide(&NGINX, "t", Ok(PathBuf::from("/usr/sbin/nginx")), ci);
            assert_eq!(v, Verdict::Run(PathBuf::from("/usr/sbin/nginx")));
        }
    }

    #[test]
    fn a_missing_peer_fails_under_ci_naming_it_and_its_install() {
        let v = decide(
            &HDRH,
            "the hlog test",
            Err(Missing::ImportFailed {
                module: "hdrh",
                last: "ModuleNotFoundError".into(),
            }),
            true,
        );
        let Verdict::Fail(m) = v else {
            panic!("not a failure: {v:?}")
        };
        assert!(m.contains("the hlog test needs hdrh"), "{m}");
        assert!(m.contains("`import hdrh` failed"), "{m}");
        assert!(m.contains("python3 -m pip install hdrhistogram"), "{m}");
    }

    #[test]
    fn a_missing_peer_skips_with_a_note_outside_ci() {
        let v = decide(
            &NGINX,
            "conformance",
            Err(Missing::NotFound("nginx")),
            false,
        );
        let Verdict::Skip(m) = v else {
            panic!("not a skip: {v:?}")
        };
        assert!(
            m.starts_with("SKIPPED conformance: nginx is missing"),
            "{m}"
        );
        assert!(m.contains("apt-get install nginx"), "{m}");
    }

    #[test]
    fn ci_means_set_and_not_false() {
        for yes in ["true", "1", "yes", "TRUE", "github"] {
            assert!(ci_value(Some(yes)), "{yes}");
        }
        for no in ["", " ", "0", "false", "False", "no"] {
            assert!(!ci_value(Some(no)), "{no:?}");
        }
        assert!(!ci_value(None));
    }

    #[test]
    fn hidden_names_are_matched_whole() {
        assert!(listed("nginx", "nginx"));
        assert!(listed("hdrh, nginx", "nginx"));
        assert!(!listed("nginx-extra", "nginx"));
        assert!(!listed("", "nginx"));
    }

    #[test]
    fn every_peer_has_a_distinct_name_and_an_install_command() {
        let mut names: Vec<_> = ALL.iter().map(|p| p.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        assert!(ALL.iter().all(|p| p.install.contains(" install ")));
    }
}
