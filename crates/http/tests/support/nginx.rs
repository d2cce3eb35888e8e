//! A throwaway nginx on 127.0.0.1: its own prefix directory, one
//! process (`master_process off`), killed by its own handle when dropped.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Child;
use std::sync::atomic::{AtomicU64, Ordering};

/// Body of `/static/big.txt` after nginx's `sub_filter` rewrote it (served chunked).
pub const BIG_LINES: usize = 3000;

pub struct Nginx {
    pub port: u16,
    /// The same server over h2c (HTTP/2 with prior knowledge).
    pub h2c_port: u16,
    child: Child,
    dir: PathBuf,
    base: (u64, u64),
    fetches: AtomicU64,
}

impl Nginx {
    /// Starts nginx for `test`; `None` after a note when nginx is missing outside CI (under
    /// CI a missing nginx fails the test: see `loadgen_testkit::peer`).
    pub fn start(test: &str) -> Option<Nginx> {
        let bin = loadgen_testkit::peer::NGINX.require(test)?;
        // A port picked by binding port 0 and letting go can be taken by another test's
        // server before nginx binds it; then nginx exits, and a readiness check that only
        // connects may reach the other server. See `loadgen_testkit::nginx`.
        for _ in 0..5 {
            if let Some(nginx) = Nginx::try_start(&bin) {
                return Some(nginx);
            }
        }
        panic!("nginx did not come up as itself in 5 tries");
    }

    /// One start on fresh ports: `None` when the port turned out to be another server's.
    fn try_start(bin: &std::path::Path) -> Option<Nginx> {
        static N: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "loadgen-http-nginx-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(dir.join("static")).unwrap();
        std::fs::create_dir_all(dir.join("tmp")).unwrap();
        let big: String = (0..BIG_LINES)
            .map(|i| format!("line {i:05} NEEDLE\n"))
            .collect();
        std::fs::write(dir.join("static/big.txt"), big).unwrap();
        let free_port = || {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let (port, h2c_port) = (free_port(), free_port());
        let d = dir.display();
        let conf = format!(
            r#"daemon off; master_process off; worker_processes 1;
error_log {d}/error.log; pid {d}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp;
  uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    listen 127.0.0.1:{h2c_port} http2;
    location = /ok {{ return 200 "ok"; }}
    location = /close {{ keepalive_timeout 0; return 200 "bye"; }}
    location = /204 {{ return 204; }}
    location = /status {{ stub_status; }}
    location /static/ {{
      root {d}; default_type text/plain; output_buffers 4 4k;
      sub_filter NEEDLE needle; sub_filter_once off; sub_filter_types *;
    }}
  }}
}}
"#
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let child = loadgen_testkit::nginx::spawn(bin, &dir);
        let mut nginx = Nginx {
            port,
            h2c_port,
            child,
            dir,
            base: (0, 0),
            fetches: AtomicU64::new(0),
        };
        if !loadgen_testkit::nginx::wait_until_serving(&mut nginx.child, &nginx.dir, port) {
            return None;
        }
        nginx.base = nginx.stub_status();
        Some(nginx)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The h2c listener's URL (speak HTTP/2 to it with prior knowledge).
    pub fn h2c_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.h2c_port)
    }

    /// The whole answer (head and body) to a `GET` of `path` on a connection of its own.
    fn fetch(&self, path: &str) -> std::io::Result<String> {
        let mut tcp = TcpStream::connect(("127.0.0.1", self.port))?;
        write!(
            tcp,
            "GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
        )?;
        let mut text = String::new();
        tcp.read_to_string(&mut text)?;
        Ok(text)
    }

    /// (accepted connections, requests) from `stub_status`, this fetch included.
    fn stub_status(&self) -> (u64, u64) {
        let text = self.fetch("/status").expect("stub_status answers");
        let line = text
            .lines()
            .skip_while(|l| !l.starts_with("server accepts"))
            .nth(1)
            .expect("stub_status counters");
        let n: Vec<u64> = line
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect();
        (n[0], n[2])
    }

    /// (connections, requests) the clients made since start (status fetches left out).
    pub fn counts(&self) -> (u64, u64) {
        let (a, r) = self.stub_status();
        let k = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        (a - self.base.0 - k, r - self.base.1 - k)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
