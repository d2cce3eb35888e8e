//! Opening a VU's connection before a step: the fast path's bare TCP stream, or hyper's /
//! h2's connection (its own, or a thread's shared HTTP/2 connection), with the phases timed.

use super::{Shared, VuState};
use crate::connect::Phases;
use crate::h2_pool::{self, Dialed, Joined};
use loadgen_engine::{Outcome, Setup};
use loadgen_h2::H2Shared;
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
    /// preface (the `h2` path's handshake), all within `connect_timeout` — or, with
    /// `streams_per_connection` > 1, a seat on a connection the thread's VUs share (opened
    /// so when there is none with room). When TLS does not choose `h2`, the connection is
    /// hyper's HTTP/1.1 one (`conn`), as on the `h2` path.
    pub(super) async fn open_h2(&mut self, sh: &Shared) -> Result<Option<Duration>, Outcome> {
        if self.links.h2.is_open() {
            return Ok(None);
        }
        self.conn = None;
        let joined = match sh.shared_h2 {
            Some((limit, key)) => {
                let dial = || async {
                    let start = Instant::now();
                    match dial_lean(sh).await? {
                        (Lean::H2(io), setup) => Ok(Dialed::Shared(
                            H2Shared::open(io).await?,
                            Phases::since(start, setup),
                        )),
                        (Lean::H1(conn), setup) => {
                            Ok(Dialed::Exclusive(conn, Phases::since(start, setup)))
                        }
                    }
                };
                let dial = || async {
                    timeout(sh.connect_timeout, dial())
                        .await
                        .unwrap_or(Err(Outcome::Timeout))
                };
                h2_pool::connect(key, limit, dial).await?.map(Some)
            }
            None => {
                let start = Instant::now();
                let h2 = &mut self.links.h2;
                let opened = timeout(sh.connect_timeout, async {
                    match dial_lean(sh).await? {
                        (Lean::H2(io), setup) => {
                            h2.attach(io).await?;
                            // Its own connection: no seat to join.
                            Ok(Joined::Shared(None, Some(Phases::since(start, setup))))
                        }
                        (Lean::H1(conn), setup) => {
                            Ok(Joined::Exclusive(conn, Phases::since(start, setup)))
                        }
                    }
                })
                .await
                .unwrap_or(Err(Outcome::Timeout));
                match opened {
                    Ok(joined) => joined,
                    Err(outcome) => {
                        self.links.h2.close();
                        return Err(outcome);
                    }
                }
            }
        };
        self.opened = Some(Instant::now());
        let phases = match joined {
            Joined::Shared(seat, phases) => {
                if let Some(seat) = seat {
                    self.links.h2.join(seat);
                }
                // Joining another VU's connection opened nothing: no connect time.
                phases
            }
            Joined::Exclusive(conn, phases) => {
                self.conn = Some(conn);
                Some(phases)
            }
        };
        Ok(phases.map(|p| {
            self.setup = p.setup;
            p.connect
        }))
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
            let dial = || async move {
                match dial().await.unwrap_or(Err(Outcome::Timeout))? {
                    (conn, phases) if conn.is_h2() => Ok(Dialed::Shared(conn, phases)),
                    (conn, phases) => Ok(Dialed::Exclusive(conn, phases)),
                }
            };
            let (conn, phases) = match h2_pool::connect(key, limit, dial).await? {
                Joined::Shared(conn, phases) => (conn, phases),
                Joined::Exclusive(conn, phases) => (conn, Some(phases)),
            };
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

/// What a lean HTTP/2 dial opened: a stream to speak HTTP/2 on, or hyper's HTTP/1.1
/// connection where TLS did not choose `h2`.
enum Lean {
    H2(ClientStream),
    H1(crate::connect::Conn),
}

/// TCP, then TLS when `https://`: the lean path's connection before its preface, and the
/// phases set apart from the connect time.
async fn dial_lean(sh: &Shared) -> Result<(Lean, Setup), Outcome> {
    let (tcp, proxy_connect) = sh.dialer.tcp().await.map_err(|_| Outcome::Connect)?;
    if !sh.dialer.is_tls() {
        let setup = Setup {
            proxy_connect,
            tls: None,
        };
        return Ok((Lean::H2(ClientStream::Plain(tcp)), setup));
    }
    let (stream, took) = sh.dialer.tls(tcp).await?;
    let setup = Setup {
        proxy_connect,
        tls: Some(took),
    };
    if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
        return Ok((Lean::H2(ClientStream::Tls(Box::new(stream))), setup));
    }
    let conn = crate::connect::handshake(stream, false).await?;
    Ok((Lean::H1(conn), setup))
}
