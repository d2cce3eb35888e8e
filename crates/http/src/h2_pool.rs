//! VUs of one thread sharing HTTP/2 connections (`[http] streams_per_connection`): each VU
//! still sends one request at a time, but up to N of them put their requests on the same
//! connection as concurrent streams (as browsers and h2load's `-m` do) instead of a
//! connection per VU. The pool is per thread (a connection lives on its thread's `LocalSet`)
//! and keyed by the factory that opened it, so workloads never share. VUs that ask while a
//! shared connection is being opened wait for it rather than each opening their own.

use crate::connect::{Conn, Phases};
use loadgen_engine::Outcome;
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::OnceCell;

thread_local! {
    static POOL: RefCell<Vec<Rc<Entry>>> = const { RefCell::new(Vec::new()) };
}

/// One shared connection, open or being opened.
struct Entry {
    key: u64,
    /// One clone per VU that uses (or waits for) the connection, inside its [`Conn`].
    seats: Rc<()>,
    opened: OnceCell<Opened>,
}

enum Opened {
    Shared(Conn),
    Failed(Outcome),
    /// TLS settled on HTTP/1.1: one request at a time, nothing to share.
    NotShareable,
}

impl Entry {
    fn users(&self) -> usize {
        Rc::strong_count(&self.seats) - 1
    }

    /// Still worth offering: someone uses it, and it is being opened or is open.
    fn alive(&self) -> bool {
        self.users() > 0
            && match self.opened.get() {
                None => true,
                Some(Opened::Shared(c)) => c.is_open(),
                Some(_) => false,
            }
    }
}

/// A key for a new factory's connections.
pub(crate) fn new_key() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A handle on a connection of `key` that fewer than `limit` VUs use — opened with `dial`
/// when there is none, or joined (while it opens, too). The phases come back only when this
/// call opened the connection.
pub(crate) async fn connect<D, F>(
    key: u64,
    limit: usize,
    dial: D,
) -> Result<(Conn, Option<Phases>), Outcome>
where
    D: Fn() -> F,
    F: Future<Output = Result<(Conn, Phases), Outcome>>,
{
    let (entry, seat) = POOL.with_borrow_mut(|pool| {
        pool.retain(|e| e.alive());
        let entry = match pool.iter().find(|e| e.key == key && e.users() < limit) {
            Some(e) => Rc::clone(e),
            None => {
                let e = Rc::new(Entry {
                    key,
                    seats: Rc::new(()),
                    opened: OnceCell::new(),
                });
                pool.push(Rc::clone(&e));
                e
            }
        };
        let seat = Rc::clone(&entry.seats);
        (entry, seat)
    });
    let mut mine = None;
    let mut exclusive = None;
    let opened = entry
        .opened
        .get_or_init(|| async {
            match dial().await {
                Ok((conn, phases)) if conn.is_h2() => {
                    mine = Some(phases);
                    Opened::Shared(conn)
                }
                Ok((conn, phases)) => {
                    exclusive = Some((conn, phases));
                    Opened::NotShareable
                }
                Err(outcome) => Opened::Failed(outcome),
            }
        })
        .await;
    if let Some((conn, phases)) = exclusive {
        return Ok((conn, Some(phases)));
    }
    match opened {
        Opened::Shared(conn) => match conn.share_with_seat(seat) {
            Some(handle) => Ok((handle, mine)),
            None => Err(Outcome::Protocol),
        },
        Opened::Failed(outcome) => Err(*outcome),
        // Another VU's dial found HTTP/1.1: this VU opens its own.
        Opened::NotShareable => dial().await.map(|(c, p)| (c, Some(p))),
    }
}
