//! VUs of one thread sharing HTTP/2 connections (`[http] streams_per_connection`): each VU
//! still sends one request at a time, but up to N of them put their requests on the same
//! connection as concurrent streams (as browsers and h2load's `-m` do) instead of a
//! connection per VU. The pool is per thread (a connection lives on its thread) and keyed
//! by the factory that opened it, so workloads never share. VUs that ask while a shared
//! connection is being opened wait for it rather than each opening their own.
//!
//! Two kinds of connection are pooled, each in its own thread-local pool ([`Shareable`]):
//! the `h2` crate's ([`Conn`]) and the lean path's ([`H2Shared`]).

use crate::connect::{Conn, Phases};
use loadgen_engine::Outcome;
use loadgen_h2::{H2Seat, H2Shared};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::LocalKey;
use tokio::sync::OnceCell;

/// A thread's pool of one kind of shared connection.
pub(crate) type Pool<C> = RefCell<Vec<Rc<Entry<C>>>>;

thread_local! {
    static H2_CRATE: Pool<Conn> = const { RefCell::new(Vec::new()) };
    static LEAN: Pool<H2Shared> = const { RefCell::new(Vec::new()) };
}

/// A connection VUs can share.
pub(crate) trait Shareable: Sized + 'static {
    /// What a VU holds while it uses the connection (it keeps the pool's seat).
    type Handle;
    fn pool() -> &'static LocalKey<Pool<Self>>;
    /// Still able to take new requests.
    fn is_open(&self) -> bool;
    /// A VU's handle, holding `seat`; `None` when the connection cannot be shared.
    fn handle(&self, seat: Rc<()>) -> Option<Self::Handle>;
}

impl Shareable for Conn {
    type Handle = Conn;

    fn pool() -> &'static LocalKey<Pool<Conn>> {
        &H2_CRATE
    }

    fn is_open(&self) -> bool {
        Conn::is_open(self)
    }

    fn handle(&self, seat: Rc<()>) -> Option<Conn> {
        self.share_with_seat(seat)
    }
}

impl Shareable for H2Shared {
    type Handle = H2Seat;

    fn pool() -> &'static LocalKey<Pool<H2Shared>> {
        &LEAN
    }

    fn is_open(&self) -> bool {
        H2Shared::is_open(self)
    }

    fn handle(&self, seat: Rc<()>) -> Option<H2Seat> {
        Some(self.seat(seat))
    }
}

/// What a dial opened: a connection to share, or one that speaks HTTP/1.1 (TLS chose it),
/// which its VU keeps to itself.
pub(crate) enum Dialed<C> {
    Shared(C, Phases),
    Exclusive(Conn, Phases),
}

/// What a VU got: a handle on a shared connection (with the phases when this VU opened
/// it), or an HTTP/1.1 connection of its own.
pub(crate) enum Joined<H> {
    Shared(H, Option<Phases>),
    Exclusive(Conn, Phases),
}

impl<H> Joined<H> {
    pub(crate) fn map<G>(self, f: impl FnOnce(H) -> G) -> Joined<G> {
        match self {
            Joined::Shared(h, phases) => Joined::Shared(f(h), phases),
            Joined::Exclusive(conn, phases) => Joined::Exclusive(conn, phases),
        }
    }
}

/// One shared connection, open or being opened.
pub(crate) struct Entry<C> {
    key: u64,
    /// One clone per VU that uses (or waits for) the connection, inside its handle.
    seats: Rc<()>,
    opened: OnceCell<Opened<C>>,
}

enum Opened<C> {
    Shared(C),
    Failed(Outcome),
    /// TLS settled on HTTP/1.1: one request at a time, nothing to share.
    NotShareable,
}

impl<C: Shareable> Entry<C> {
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
pub(crate) async fn connect<C, D, F>(
    key: u64,
    limit: usize,
    dial: D,
) -> Result<Joined<C::Handle>, Outcome>
where
    C: Shareable,
    D: Fn() -> F,
    F: Future<Output = Result<Dialed<C>, Outcome>>,
{
    let (entry, seat) = C::pool().with_borrow_mut(|pool| {
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
                Ok(Dialed::Shared(conn, phases)) => {
                    mine = Some(phases);
                    Opened::Shared(conn)
                }
                Ok(Dialed::Exclusive(conn, phases)) => {
                    exclusive = Some((conn, phases));
                    Opened::NotShareable
                }
                Err(outcome) => Opened::Failed(outcome),
            }
        })
        .await;
    if let Some((conn, phases)) = exclusive {
        return Ok(Joined::Exclusive(conn, phases));
    }
    match opened {
        Opened::Shared(conn) => match conn.handle(seat) {
            Some(handle) => Ok(Joined::Shared(handle, mine)),
            None => Err(Outcome::Protocol),
        },
        Opened::Failed(outcome) => Err(*outcome),
        // Another VU's dial found HTTP/1.1: this VU opens its own.
        Opened::NotShareable => match dial().await? {
            Dialed::Exclusive(conn, phases) => Ok(Joined::Exclusive(conn, phases)),
            // This dial found HTTP/2 after all: a connection of its own, shared with nobody.
            Dialed::Shared(conn, phases) => match conn.handle(Rc::new(())) {
                Some(handle) => Ok(Joined::Shared(handle, Some(phases))),
                None => Err(Outcome::Protocol),
            },
        },
    }
}
