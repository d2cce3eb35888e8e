//! A throwaway `redis-server` for tests: a free loopback port, nothing saved (`--save ''
//! --appendonly no`), its own working folder, stopped when dropped. It can be killed and
//! started again on the same port (the fault tests), and answers admin commands (`INFO`,
//! `CLIENT KILL`, `CONFIG SET`) through a tiny RESP client of its own, so this crate needs no
//! Redis library.

use crate::peer::REDIS;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running throwaway server.
pub struct RedisServer {
    program: PathBuf,
    port: u16,
    args: Vec<String>,
    password: Option<String>,
    tls_port: Option<u16>,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts one for the test `test` with `extra` arguments (`--requirepass pw`,
    /// `--enable-debug-command local`). `None` after a note when redis-server is missing
    /// outside CI; under CI a missing one fails the test (see [`crate::peer`]).
    pub fn start(test: &str, extra: &[&str]) -> Option<RedisServer> {
        Self::start_with(test, extra, None)
    }

    /// As [`RedisServer::start`], also serving TLS on another port with the PEM files
    /// `server.pem`, `server.key` and `ca.pem` in `pki` ([`crate::pki::Pki::write`]); client
    /// certificates are not asked for. Admin commands still use the plain port.
    pub fn start_tls(test: &str, pki: &std::path::Path) -> Option<RedisServer> {
        let tls_port = free_port().expect("a free loopback port");
        let file = |name: &str| pki.join(name).display().to_string();
        let extra = [
            "--tls-port".to_string(),
            tls_port.to_string(),
            "--tls-cert-file".into(),
            file("server.pem"),
            "--tls-key-file".into(),
            file("server.key"),
            "--tls-ca-cert-file".into(),
            file("ca.pem"),
            "--tls-auth-clients".into(),
            "no".into(),
        ];
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        Self::start_with(test, &extra, Some(tls_port))
    }

    fn start_with(test: &str, extra: &[&str], tls_port: Option<u16>) -> Option<RedisServer> {
        let program = REDIS.require(test)?;
        let port = free_port().expect("a free loopback port");
        let args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let password = args
            .iter()
            .position(|a| a == "--requirepass")
            .and_then(|i| args.get(i + 1).cloned());
        let mut s = RedisServer {
            program,
            port,
            args,
            password,
            tls_port,
            child: None,
        };
        s.restart();
        Some(s)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The TLS port of a server from [`RedisServer::start_tls`].
    pub fn tls_port(&self) -> Option<u16> {
        self.tls_port
    }

    /// Kills the server at once (SIGKILL: clients see their connections reset).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it (again) on the same port and waits until it answers `PING`.
    pub fn restart(&mut self) {
        self.kill();
        let dir = std::env::temp_dir().join(format!("loadgen-redis-{}", self.port));
        std::fs::create_dir_all(&dir).expect("a working folder");
        let child = Command::new(&self.program)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = self.cmd(&["PING"]) {
                if r == "PONG" {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer PING"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends one command on a fresh connection (after `AUTH` when the server has a password)
    /// and returns the reply as text: an error as `-PREFIX message`, an array as its items on
    /// separate lines, nil as `(nil)`.
    pub fn cmd(&self, args: &[&str]) -> io::Result<String> {
        let stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut w = stream.try_clone()?;
        let mut r = BufReader::new(stream);
        if let Some(p) = &self.password {
            w.write_all(&encode(&["AUTH", p]))?;
            read_reply(&mut r)?;
        }
        w.write_all(&encode(args))?;
        read_reply(&mut r)
    }

    /// A numeric field of `INFO` (`total_commands_processed`, `connected_clients`).
    pub fn info_u64(&self, field: &str) -> u64 {
        let info = self.cmd(&["INFO", "everything"]).expect("INFO answers");
        info.lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("INFO has no numeric `{field}`"))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn encode(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn read_reply(r: &mut impl BufRead) -> io::Result<String> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    let line = line.trim_end_matches(['\r', '\n']);
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "not RESP");
    let (kind, rest) = line.split_at_checked(1).ok_or_else(bad)?;
    match kind {
        "+" | ":" => Ok(rest.to_string()),
        "-" => Ok(line.to_string()),
        "$" => {
            let n: i64 = rest.parse().map_err(|_| bad())?;
            if n < 0 {
                return Ok("(nil)".into());
            }
            let mut buf = vec![0; n as usize + 2];
            r.read_exact(&mut buf)?;
            buf.truncate(n as usize);
            String::from_utf8(buf).map_err(|_| bad())
        }
        "*" => {
            let n: i64 = rest.parse().map_err(|_| bad())?;
            if n < 0 {
                return Ok("(nil)".into());
            }
            let items: io::Result<Vec<String>> = (0..n).map(|_| read_reply(r)).collect();
            Ok(items?.join("\n"))
        }
        _ => Err(bad()),
    }
}
