//! Against an independent server: Python's `websockets` (installed by scripts/test.sh;
//! required under CI, see `loadgen_testkit::peer`), which writes its own message counts
//! when it stops.

use crate::support::*;
use loadgen_ws::metrics::*;
use loadgen_ws::{json_path, LatencySpec, Periodic};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

const SERVER: &str = r#"
import asyncio, json, sys, websockets
counts = {"connections": 0, "received": 0, "sent": 0}
async def handler(ws):
    counts["connections"] += 1
    async for msg in ws:
        counts["received"] += 1
        await ws.send(msg)
        counts["sent"] += 1
async def main():
    async with websockets.serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        print(port, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    print(json.dumps(counts), flush=True)
asyncio.run(main())
"#;

#[test]
fn message_counts_agree_with_python_websockets() {
    let Some(python) =
        loadgen_testkit::peer::WEBSOCKETS.require("message_counts_agree_with_python_websockets")
    else {
        return;
    };
    let mut child = Command::new(python)
        .args(["-c", SERVER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let port: u16 = line.trim().parse().expect("the server prints its port");
    let mut cfg = config(
        &format!("ws://127.0.0.1:{port}/"),
        // 25 sends take 1 s; the rest is margin for a busy machine.
        Duration::from_secs(3),
    );
    cfg.script.periodic = Some(Periodic {
        message: template(r#"{"id":"{{vu}}-{{seq}}","n":{{random_int(1,1000)}}}"#),
        every: Duration::from_millis(40),
        count: Some(25),
    });
    cfg.latency = LatencySpec::Correlate {
        id: json_path("id"),
    };
    let r = run_sessions(cfg, 10, 1);
    drop(child.stdin.take()); // EOF: the server stops and prints its counts
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    child.wait().unwrap();
    let counts: serde_json::Value = serde_json::from_str(rest.trim()).expect("counts JSON");
    assert_eq!(counts["connections"], 10);
    assert_eq!(counts["received"].as_u64(), Some(counter(&r, MSGS_SENT)));
    assert_eq!(counts["sent"].as_u64(), Some(counter(&r, MSGS_RECEIVED)));
    assert_eq!(counter(&r, MSGS_SENT), 250);
    assert_eq!(trend(&r, MESSAGE_LATENCY).0, 250);
    assert_eq!(rate(&r, STABLE), (10, 10));
    assert_eq!(counter(&r, CLOSE_NORMAL), 10);
}
