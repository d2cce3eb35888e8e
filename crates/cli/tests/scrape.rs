//! The `--metrics-addr` endpoint under hostile peers (issue 17, item 15): connections held
//! open without a request (or with half of one) neither keep a scraper out nor stay open.

use crate::support::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn held_connections_neither_block_a_scrape_nor_stay_open() {
    let dir = scratch("scrape-held");
    let f = write(
        &dir,
        "long.toml",
        "name = \"long\"\ntarget = \"embedded\"\nduration = \"60s\"\n\
         [[workload]]\nname = \"w\"\nmodel = \"open\"\nrate = \"5/s\"\nmax_vus = 5\n\
         [[workload.step]]\nname = \"health\"\nhttp = { method = \"GET\", path = \"/health\" }\n",
    );
    let out = dir.join("out");
    let mut child = bin()
        .args(["run", f.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args(["--metrics-addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("loadgen: Prometheus metrics at http://")
                .map(|a| a.trim_end_matches("/metrics").to_string())
        })
        .expect("the endpoint is announced");
    std::thread::spawn(move || for _ in lines {});

    // 200 peers hold connections: half say nothing, half send half a request.
    let held: Vec<TcpStream> = (0..200)
        .map(|i| {
            let mut s = TcpStream::connect(&addr).unwrap();
            if i % 2 == 1 {
                s.write_all(b"GET /metr").unwrap();
            }
            s
        })
        .collect();
    let scrape = || -> std::io::Result<String> {
        let mut s = TcpStream::connect(&addr)?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(s, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")?;
        let mut resp = String::new();
        s.read_to_string(&mut resp)?;
        Ok(resp)
    };
    let resp = scrape();

    // Every held connection is closed by the endpoint (evicted or timed out), not kept.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut closed = 0;
    for mut s in held {
        let left = deadline.saturating_duration_since(Instant::now());
        s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        let mut b = [0u8; 64];
        // EOF, a reset or an answer to the half request: the endpoint let go of it.
        if !matches!(s.read(&mut b), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut)
        {
            closed += 1;
        }
    }
    crate::support::send_signal(&child, rustix::process::Signal::INT);
    let _ = child.wait();
    let resp = resp.expect("a scrape is answered while 200 connections are held");
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert_eq!(closed, 200);
}
