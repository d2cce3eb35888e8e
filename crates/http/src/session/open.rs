//! Opening a VU's connection before a step: the fast path's bare TCP stream, or hyper's /
//! h2's connection (its own, or a thread's shared HTTP/2 connection), with the phases timed.

use super::{Shared, VuState};
use crate::connect::Phases;
use loadgen_engine::{Outcome, Setup};
use loadgen_tls::ClientStream;
use tokio::time::{timeout, Duration, Instant};

impl VuState {
    /// Makes sure the fast path has a live connection: `Ok(Some(connect time))` when it had to
    /// open one, `Ok(None)` when the kept one is fine.
    pub(super) async fn open_link(&mut self, sh: &Shared) -> Result<Option<Duration>, Outcome> {
        if self.links.h1.is_open() {
            return Ok(None);
        }
        let start = Instant::now();
        match timeout(sh.connect_timeout, sh.dialer.tcp()).await {
            Ok(Ok((tcp, proxy_connect))) => {
                self.links.h1.attach(tcp);
                self.opened = Some(Instant::now());
                let phases = Phases::since(
                    start,
                    Setup {
                        proxy_connect,
                        tls: None,
                    },
                );
                self.setup = phases.setup;
                Ok(Some(phases.connect))
            }
            Ok(Err(_)) => Err(Outcome::Connect),
            Err(_elapsed) => Err(Outcome::Timeout),
        }
    }

    /// [`VuState::open_link`] for the lean HTTP/2 path: TCP, TLS (when `https://`), then the
    /// preface (the `h2` path's handshake), all within `connect_timeout`. When TLS does not
    /// choose `h2`, the connection is hyper's HTTP/1.1 one (`conn`), as on the `h2` path.
    pub(super) async fn open_h2(&mut self, sh: &Shared) -> Result<Option<Duration>, Outcome> {
        if self.links.h2.is_open() {
            return Ok(None);
        }
        self.conn = None;
        let start = Instant::now();
        let (h2, conn) = (&mut self.links.h2, &mut self.conn);
        let opened = timeout(sh.connect_timeout, async {
            let (tcp, proxy_connect) = sh.dialer.tcp().await.map_err(|_| Outcome::Connect)?;
            let tls = match sh.dialer.is_tls() {
                false => {
                    h2.attach(ClientStream::Plain(tcp)).await?;
                    None
                }
                true => {
                    let (stream, took) = sh.dialer.tls(tcp).await?;
                    if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
                        h2.attach(ClientStream::Tls(Box::new(stream))).await?;
                    } else {
                        *conn = Some(crate::connect::handshake(stream, false).await?);
                    }
                    Some(took)
                }
            };
            Ok::<_, Outcome>(Setup { proxy_connect, tls })
        })
        .await;
        match opened {
            Ok(Ok(setup)) => {
                self.opened = Some(Instant::now());
                let phases = Phases::since(start, setup);
                self.setup = phases.setup;
                Ok(Some(phases.connect))
            }
            Ok(Err(outcome)) => {
                self.links.h2.close();
                Err(outcome)
            }
            Err(_elapsed) => {
                self.links.h2.close();
                Err(Outcome::Timeout)
            }
        }
    }

    /// [`VuState::open_link`] for hyper's connection.
    pub(super) async fn open_conn(&mut self, sh: &Shared) -> Result<Option<Duration>, Outcome> {
        if let Some(conn) = &mut self.conn {
            // Usually ready at once; otherwise the connection task has yet to catch up with
            // the last response, or the peer closed the connection.
            if conn.is_ready() || timeout(sh.connect_timeout, conn.ready()).await == Ok(true) {
                return Ok(None);
            }
            self.conn = None;
        }
        if let Some((limit, key)) = sh.shared_h2 {
            let dial = || timeout(sh.connect_timeout, Box::pin(sh.dialer.dial_timed()));
            let dial = || async move { dial().await.unwrap_or(Err(Outcome::Timeout)) };
            let (conn, phases) = crate::h2_pool::connect(key, limit, dial).await?;
            self.conn = Some(conn);
            self.opened = Some(Instant::now());
            // Joining another VU's connection opened nothing: no connect time.
            return Ok(phases.map(|p| {
                self.setup = p.setup;
                p.connect
            }));
        }
        // Dialing (TCP, proxy, TLS, the HTTP/2 handshake) is a large future and a rare one:
        // boxed, it does not grow every step's future, which is moved into its box per step.
        let (conn, phases) = timeout(sh.connect_timeout, Box::pin(sh.dialer.dial_timed()))
            .await
            .unwrap_or(Err(Outcome::Timeout))?;
        self.conn = Some(conn);
        self.opened = Some(Instant::now());
        self.setup = phases.setup;
        Ok(Some(phases.connect))
    }
}
