//! `wait_until_serving` against a real nginx: one whose port another server holds is seen to
//! have exited (even though connecting to the port succeeds), and one on a free port serves.

use loadgen_testkit::nginx::{spawn, wait_until_serving};
use loadgen_testkit::peer::NGINX;
use std::path::{Path, PathBuf};
use std::process::Child;

fn start(bin: &Path, test: &str, port: u16) -> (Child, PathBuf) {
    let dir = std::env::temp_dir().join(format!("loadgen-testkit-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder for nginx");
    let d = dir.display();
    let conf = format!(
        "daemon off; master_process off; error_log {d}/error.log; pid {d}/nginx.pid;\n\
         events {{ worker_connections 64; }}\n\
         http {{ access_log off; client_body_temp_path {d}; proxy_temp_path {d};\n\
         fastcgi_temp_path {d}; uwsgi_temp_path {d}; scgi_temp_path {d};\n\
         server {{ listen 127.0.0.1:{port}; location / {{ return 200 \"ok\"; }} }} }}\n"
    );
    std::fs::write(dir.join("nginx.conf"), conf).expect("nginx.conf written");
    let child = spawn(bin, &dir);
    (child, dir)
}

#[test]
fn an_nginx_whose_port_is_taken_is_not_taken_for_ready() {
    let Some(bin) = NGINX.require("an_nginx_whose_port_is_taken_is_not_taken_for_ready") else {
        return;
    };
    // The stranger listens: a connect-only check would call this nginx ready.
    let stranger = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = stranger.local_addr().expect("its address").port();
    let (mut child, dir) = start(&bin, "taken", port);
    assert!(!wait_until_serving(&mut child, &dir, port));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_nginx_on_a_free_port_is_ready() {
    let Some(bin) = NGINX.require("an_nginx_on_a_free_port_is_ready") else {
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (mut child, dir) = start(&bin, "free", port);
    let ready = wait_until_serving(&mut child, &dir, port);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ready);
}
