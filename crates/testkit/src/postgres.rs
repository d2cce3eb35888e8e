//! Throwaway PostgreSQL servers for tests: `initdb` into a fresh temporary folder, `postgres`
//! on a free loopback port with password (SCRAM) authentication, stopped and the folder removed
//! when the [`PgServer`] is dropped.
//!
//! PostgreSQL refuses to run as root, and CI runs as root: then the server runs as the
//! `postgres` system user the Debian package creates (the folder is handed to it). A missing
//! server follows the peer rule ([`crate::peer::POSTGRES`]): the test fails under CI and is
//! skipped with a note elsewhere.
//!
//! Durability is off (`fsync`, `synchronous_commit`, `full_page_writes`): these servers hold
//! test data for seconds.

use crate::peer::{postgres_program, POSTGRES};
use std::fs;
use std::io::{self, Read};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The user tests connect as, and its password (the server is on loopback only, for seconds).
pub const USER: &str = "loadgen";
/// The password of [`USER`].
pub const PASSWORD: &str = "loadgen-test-pw";

/// A running throwaway server. Dropping it stops the server and removes its folder.
#[derive(Debug)]
pub struct PgServer {
    dir: PathBuf,
    bindir: PathBuf,
    port: u16,
    owner: Option<(u32, u32)>,
    settings: Vec<(String, String)>,
    child: Option<Child>,
}

/// Why a server could not be started.
#[derive(Debug, thiserror::Error)]
pub enum PgServerError {
    /// An io error around the server's folder or programs.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: io::Error,
    },
    /// Running as root and no `postgres` user exists to run the server as.
    #[error("running as root and there is no `postgres` user to run the server as")]
    NoUser,
    /// A program failed; the tail of its log.
    #[error("{program} failed: {log}")]
    Failed {
        /// The program.
        program: &'static str,
        /// The end of its output.
        log: String,
    },
}

impl PgServer {
    /// For test `test`: a fresh server, or `None` (after a note) when PostgreSQL is missing
    /// outside CI. Under CI a missing server fails the test; a server that is there but does
    /// not start always does.
    pub fn start(test: &str) -> Option<PgServer> {
        Self::start_with(test, &[])
    }

    /// [`PgServer::start`] with server settings (`("max_connections", "5")`).
    pub fn start_with(test: &str, settings: &[(&str, &str)]) -> Option<PgServer> {
        Self::start_full(test, settings, None)
    }

    /// [`PgServer::start`] with TLS on (`ssl = on`), serving `cert` and `key` (PEM); clients
    /// may still connect without TLS.
    pub fn start_tls(test: &str, cert: &str, key: &str) -> Option<PgServer> {
        Self::start_full(test, &[], Some((cert, key)))
    }

    fn start_full(
        test: &str,
        settings: &[(&str, &str)],
        tls: Option<(&str, &str)>,
    ) -> Option<PgServer> {
        let initdb = POSTGRES.require(test)?;
        let bindir = initdb
            .parent()
            .expect("a program found on disk has a parent folder")
            .to_path_buf();
        match Self::launch(bindir, settings, tls) {
            Ok(s) => Some(s),
            Err(e) => panic!("{test}: PostgreSQL is installed but did not start: {e}"),
        }
    }

    /// Makes and starts a server with the programs in `bindir`, with `settings` and, when
    /// given, TLS serving this certificate and key (PEM).
    pub fn launch(
        bindir: PathBuf,
        settings: &[(&str, &str)],
        tls: Option<(&str, &str)>,
    ) -> Result<PgServer, PgServerError> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "loadgen-pg-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let io = |what: &str| {
            let what = what.to_owned();
            move |source| PgServerError::Io { what, source }
        };
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(io("create the folder"))?;
        let owner = match rustix::process::geteuid().is_root() {
            true => Some(postgres_user().ok_or(PgServerError::NoUser)?),
            false => None,
        };
        let mut server = PgServer {
            dir,
            bindir,
            port: 0,
            owner,
            settings: settings
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            child: None,
        };
        let pwfile = server.dir.join("pw");
        fs::write(&pwfile, PASSWORD).map_err(io("write the password file"))?;
        let mut owned = vec![server.dir.clone(), pwfile.clone()];
        if let Some((cert, key)) = tls {
            let (cert_file, key_file) =
                (server.dir.join("server.pem"), server.dir.join("server.key"));
            fs::write(&cert_file, cert).map_err(io("write the certificate"))?;
            fs::write(&key_file, key).map_err(io("write the key"))?;
            // The server refuses a key others can read.
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&key_file, fs::Permissions::from_mode(0o600))
                .map_err(io("chmod the key"))?;
            for (k, v) in [
                ("ssl", "on".into()),
                ("ssl_cert_file", cert_file.display().to_string()),
                ("ssl_key_file", key_file.display().to_string()),
            ] {
                server.settings.push((k.to_owned(), v));
            }
            owned.extend([cert_file, key_file]);
        }
        if let Some((uid, gid)) = owner {
            for p in &owned {
                std::os::unix::fs::chown(p, Some(uid), Some(gid)).map_err(io("chown"))?;
            }
        }
        let data = server.dir.join("data");
        let out = server
            .command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", USER, "--auth=scram-sha-256", "-N", "-E", "UTF8"])
            .args(["--locale=C", "--pwfile"])
            .arg(&pwfile)
            .output()
            .map_err(io("run initdb"))?;
        if !out.status.success() {
            return Err(PgServerError::Failed {
                program: "initdb",
                log: tail(&String::from_utf8_lossy(&out.stderr)),
            });
        }
        // A port taken between choosing it and binding it is retried with another.
        let mut last = None;
        for _ in 0..3 {
            server.port = free_port().map_err(io("find a free port"))?;
            match server.run() {
                Ok(()) => return Ok(server),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("three attempts were made"))
    }

    /// The URL to connect with TLS as `sslmode` says, by the name `host`.
    pub fn url_tls(&self, host: &str, sslmode: &str) -> String {
        format!(
            "postgres://{USER}:{PASSWORD}@{host}:{}/postgres?sslmode={sslmode}",
            self.port
        )
    }

    /// The URL to connect with: `postgres://loadgen:…@127.0.0.1:PORT/postgres?sslmode=disable`.
    pub fn url(&self) -> String {
        format!(
            "postgres://{USER}:{PASSWORD}@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }

    /// The URL of database `db` on this server.
    pub fn url_for(&self, db: &str) -> String {
        format!(
            "postgres://{USER}:{PASSWORD}@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }

    /// Runs `sql` with `psql` in database `db` and returns its unaligned, tuples-only output
    /// (`a|b` per row). Panics when psql fails: a broken test setup.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let psql = [self.bindir.join("psql"), PathBuf::from("psql")]
            .into_iter()
            .find(|p| p.is_absolute() && p.exists())
            .unwrap_or_else(|| PathBuf::from("psql"));
        let out = Command::new(psql)
            .args([
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
            ])
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                USER,
                "-d",
                db,
                "-c",
                sql,
            ])
            .env("PGPASSWORD", PASSWORD)
            .stdin(Stdio::null())
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql `{sql}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The folder holding the server's programs (`psql` may be elsewhere).
    pub fn bindir(&self) -> &Path {
        &self.bindir
    }

    /// Crashes the server: `SIGQUIT` to the postmaster (`pg_ctl stop -m immediate`), which
    /// ends every backend at once without a checkpoint; connections see a reset.
    pub fn crash(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = rustix::process::Pid::from_child(&child);
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::QUIT);
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port (after [`PgServer::crash`]); it recovers.
    pub fn restart(&mut self) -> Result<(), PgServerError> {
        self.crash();
        self.run()
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(self.bindir.join(program));
        c.stdin(Stdio::null()).current_dir(&self.dir);
        if let Some((uid, gid)) = self.owner {
            c.uid(uid).gid(gid);
        }
        c
    }

    fn run(&mut self) -> Result<(), PgServerError> {
        let log_path = self.dir.join("server.log");
        let io = |what: &'static str| {
            move |source| PgServerError::Io {
                what: what.into(),
                source,
            }
        };
        let log = fs::File::create(&log_path).map_err(io("create the server log"))?;
        let mut cmd = self.command("postgres");
        cmd.arg("-D")
            .arg(self.dir.join("data"))
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(&self.dir)
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off"]);
        for (k, v) in &self.settings {
            cmd.args(["-c", &format!("{k}={v}")]);
        }
        let err = log.try_clone().map_err(io("open the server log"))?;
        let mut child = cmd
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(io("run postgres"))?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                return Err(PgServerError::Failed {
                    program: "postgres",
                    log: read_tail(&log_path),
                });
            }
            let ready = self
                .command("pg_isready")
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .status()
                .map_err(io("run pg_isready"))?;
            if ready.success() {
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PgServerError::Failed {
                    program: "postgres (not ready in 60 s)",
                    log: read_tail(&log_path),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGTERM: a smart shutdown would wait for clients; SIGINT ends them (fast).
            let pid = rustix::process::Pid::from_child(&child);
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::INT);
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The `postgres` user's uid and gid, from `/etc/passwd`.
fn postgres_user() -> Option<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.first() == Some(&"postgres") && f.len() > 3)
            .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
            .flatten()
    })
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn read_tail(path: &Path) -> String {
    let mut s = String::new();
    let _ = fs::File::open(path).and_then(|mut f| f.read_to_string(&mut s));
    tail(&s)
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(8)..].join("\n")
}

/// Where the server programs are, if installed (for scripts and benches that want them).
pub fn bindir() -> Option<PathBuf> {
    postgres_program("initdb").and_then(|p| p.parent().map(Path::to_path_buf))
}
