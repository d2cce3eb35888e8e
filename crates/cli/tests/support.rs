//! Helpers: run the built binary, start a standalone demo target, read its counters.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// Sends `sig` to a child process of this test (safe `kill(2)` through rustix).
pub fn send_signal(child: &Child, sig: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(child.id() as i32).expect("a child's pid is positive");
    rustix::process::kill_process(pid, sig).expect("signalling our own child");
}

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_loadgen"));
    c.env_remove("TARGET_URL");
    c
}

/// A fresh scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("loadgen-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn write(dir: &Path, file: &str, text: &str) -> PathBuf {
    let p = dir.join(file);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs `loadgen` to completion with a hard time bound.
pub fn run(args: &[&str]) -> Output {
    run_env(args, &[])
}

/// [`run`] with environment variables set (`bin()` clears `TARGET_URL` otherwise).
pub fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = bin()
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn loadgen");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("loadgen {args:?} did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `loadgen check-args ARGS…`: the CLI's own parser, values included (segments, instants,
/// durations, fault rules), running nothing. Deploy manifests and the docs' command lines
/// are checked with it.
pub fn check_args<S: AsRef<str>>(args: &[S]) -> Output {
    let mut cmd = vec!["check-args"];
    cmd.extend(args.iter().map(AsRef::as_ref));
    run(&cmd)
}

pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `loadgen run FILE --target URL --out OUT EXTRA…` to completion.
pub fn run_against(file: &Path, target: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        file.to_str().unwrap(),
        "--target",
        target,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// `loadgen target` in its own process, killed on drop.
pub struct Target {
    child: Child,
    pub url: String,
}

impl Target {
    pub fn start(extra: &[&str]) -> Target {
        Target::start_on("127.0.0.1:0", extra)
    }

    /// A target listening on `addr` (to bring one back on the same port).
    pub fn start_on(addr: &str, extra: &[&str]) -> Target {
        let mut child = bin()
            .args(["target", "--listen", addr])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn target");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .rsplit(' ')
            .next()
            .filter(|u| u.starts_with("http://"))
            .unwrap_or_else(|| panic!("unexpected first line from target: {line:?}"))
            .to_string();
        Target { child, url }
    }

    /// GET /__counters, parsed.
    pub fn counters(&self) -> serde_json::Value {
        let addr = self.url.trim_start_matches("http://");
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "GET /__counters HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let body = resp.split("\r\n\r\n").nth(1).expect("http body");
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The summary.json of a finished run written to `out`, checked against the committed
/// JSON Schema (`schemas/summary.v4.schema.json`): every run a test reads is validated.
pub fn summary(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("summary.json")).expect("summary.json written");
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let errors = schema_errors(&value);
    assert!(
        errors.is_empty(),
        "summary.json does not match the schema:\n{}",
        errors.join("\n")
    );
    value
}

/// What the committed schema finds wrong with `value`.
pub fn schema_errors(value: &serde_json::Value) -> Vec<String> {
    static SCHEMA: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let schema = SCHEMA.get_or_init(|| {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../schemas/summary.v4.schema.json"
        ))
        .expect("schema file");
        jsonschema::validator_for(&serde_json::from_str(&text).expect("schema is JSON"))
            .expect("schema compiles")
    });
    schema
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

/// A port on loopback that nothing listens on.
pub fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A 1 s ad-hoc run of the demo target's `/health` (always 200) with an errors threshold,
/// writing into `out`, plus `extra` flags.
pub fn health_run(target: &Target, out: &std::path::Path, extra: &[&str]) -> Output {
    let url = format!("{}/health", target.url);
    let mut args = vec![
        "run",
        "--url",
        &url,
        "--vus",
        "1",
        "--duration",
        "1s",
        "--threshold",
        "errors: rate<1%",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args)
}
