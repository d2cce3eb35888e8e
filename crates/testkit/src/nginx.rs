//! Starting a throwaway nginx and knowing when it serves its own ports.
//!
//! Tests pick a port by binding port 0 and letting it go, and another test's server can take
//! it before nginx binds it. nginx then exits, and a readiness check that only connects can
//! reach the other server first: the test then talks to a stranger that is killed under it
//! (seen as a `ConnectionReset` in a later request). nginx writes its pid file only after it
//! has bound every listener, so the pid file holding our child's pid is the proof.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts nginx `bin` with `dir` as its prefix, `dir/nginx.conf` as its configuration and
/// `dir/error.log` as its log, its standard streams closed.
pub fn spawn(bin: &Path, dir: &Path) -> Child {
    Command::new(bin)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-e")
        .arg(dir.join("error.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx starts")
}

/// Waits until `child` (nginx started with `pid {dir}/nginx.pid`) has bound its listeners
/// and accepts on `port`: `true`. `false` when it exited first (most often a port was taken:
/// the caller starts it again on new ports, after the log's reason is printed). Panics after
/// 10 s of neither.
pub fn wait_until_serving(child: &mut Child, dir: &Path, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    let ours = child.id().to_string();
    loop {
        if child.try_wait().expect("nginx's status").is_some() {
            let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            eprintln!("nginx exited before serving port {port}: {log}");
            return false;
        }
        let pid = std::fs::read_to_string(dir.join("nginx.pid")).unwrap_or_default();
        if pid.trim() == ours && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            panic!("nginx did not start on port {port}: {log}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
