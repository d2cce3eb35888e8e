//! Paced reads: an open model's answers are looked for when its dispatcher wakes anyway, not
//! the moment they arrive.
//!
//! At 20,000 arrivals/s on one thread, the thread slept and woke about once per 2.7 requests:
//! once per arrival tick, then again for nearly every answer, each wake a context switch and,
//! on a virtual machine, an inter-processor interrupt. h2load wakes once per ~40 requests.
//! A paced socket is kept out of tokio's reactor: it sits in this thread's own epoll set
//! ([`Pacer`]), which nothing sleeps on. The open-model dispatcher, which wakes for its
//! arrivals anyway (at most once per arrival granularity), looks at the set each time it wakes
//! ([`Pacer::tick`]: one `epoll_wait` that does not wait) and wakes the VUs whose sockets became
//! ready; while any of them waits, it wakes at least once per granularity even with no arrival
//! due. Nothing else changes for the thread's other sockets.
//!
//! Reading an answer up to a granularity late must not make it look slower: the socket's owner
//! times it by the kernel's receive timestamp (`SO_TIMESTAMPNS`, see `loadgen-h1`), so latency
//! stays what it was; only the VU is held a little longer.
//!
//! This module owns the set, each socket's readiness and the wakers waiting on it. It must not
//! know what a socket carries, nor how it is read.

use rustix::buffer::spare_capacity;
use rustix::event::epoll;
use std::cell::{Cell, RefCell};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

thread_local! {
    /// The pacer of this thread's open-model dispatchers, while one runs.
    static THIS_THREAD: RefCell<Option<Rc<Pacer>>> = const { RefCell::new(None) };
}

/// Events taken from the kernel per `epoll_wait`; a tick asks again while it gets a full batch.
const BATCH: usize = 256;

/// One thread's set of paced sockets.
pub struct Pacer {
    epoll: OwnedFd,
    slots: RefCell<Vec<Slot>>,
    /// Slots of sockets that were dropped, for the next registration.
    free: RefCell<Vec<u32>>,
    /// Wakers stored across all slots: a dispatcher keeps ticking while any waits.
    waiting: Cell<usize>,
    events: RefCell<Vec<epoll::Event>>,
    /// The wakers a tick found ready, woken once it has let go of the slots.
    ready: RefCell<Vec<Waker>>,
    /// Dispatchers that installed it and have not finished.
    dispatchers: Cell<usize>,
    /// Dispatchers asleep with nothing waiting: woken when a socket's owner starts to wait,
    /// so they tick for it.
    watchers: RefCell<Vec<Waker>>,
}

#[derive(Default)]
struct Slot {
    readable: bool,
    writable: bool,
    /// The peer closed its end (or the socket broke): edge-triggered epoll reports that once,
    /// so it stays ready to read, whatever reads find, until the socket is dropped.
    read_closed: bool,
    /// The socket broke: writes stay ready, to fail.
    write_closed: bool,
    reader: Option<Waker>,
    writer: Option<Waker>,
}

/// Keeps this thread's [`Pacer`] installed: sockets registered meanwhile are paced. Held by the
/// open-model dispatcher (and tests) that ticks the set; dropped when it has drained, after
/// which nobody ticks it.
pub struct Installed {
    pacer: Rc<Pacer>,
}

impl Installed {
    /// Installs this thread's pacer, or joins the one another dispatcher on the thread
    /// installed. `None` when the kernel refuses an epoll set: nothing is paced then.
    pub fn on_this_thread() -> Option<Installed> {
        THIS_THREAD.with(|t| {
            let mut t = t.borrow_mut();
            let pacer = match t.as_ref() {
                Some(pacer) => pacer.clone(),
                None => {
                    let pacer = Rc::new(Pacer::new().ok()?);
                    *t = Some(pacer.clone());
                    pacer
                }
            };
            pacer.dispatchers.set(pacer.dispatchers.get() + 1);
            Some(Installed { pacer })
        })
    }

    pub fn pacer(&self) -> &Pacer {
        &self.pacer
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let left = self.pacer.dispatchers.get() - 1;
        self.pacer.dispatchers.set(left);
        if left == 0 {
            // Nobody ticks the set any more: sockets opened from now on use tokio's reactor.
            // `try_with`: a dispatcher dropped while the thread exits finds the set gone.
            let _ = THIS_THREAD.try_with(|t| t.borrow_mut().take());
        }
    }
}

impl Pacer {
    fn new() -> io::Result<Pacer> {
        Ok(Pacer {
            epoll: epoll::create(epoll::CreateFlags::CLOEXEC)?,
            slots: RefCell::new(Vec::new()),
            free: RefCell::new(Vec::new()),
            waiting: Cell::new(0),
            events: RefCell::new(Vec::with_capacity(BATCH)),
            ready: RefCell::new(Vec::new()),
            dispatchers: Cell::new(0),
            watchers: RefCell::new(Vec::new()),
        })
    }

    /// True while a paced socket's owner waits to read or write.
    pub fn waiting(&self) -> bool {
        self.waiting.get() > 0
    }

    /// Ready once some socket's owner waits (at once if one does already).
    pub fn poll_busy(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.waiting.get() > 0 {
            return Poll::Ready(());
        }
        let mut watchers = self.watchers.borrow_mut();
        if !watchers.iter().any(|w| w.will_wake(cx.waker())) {
            watchers.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// One more owner waits.
    fn start_waiting(&self) {
        let before = self.waiting.get();
        self.waiting.set(before + 1);
        if before == 0 {
            // Woken with no borrow held: a watcher may register again right away.
            let watchers = std::mem::take(&mut *self.watchers.borrow_mut());
            for w in watchers {
                w.wake();
            }
        }
    }

    /// Looks at the set without waiting and wakes the owners of sockets that became ready.
    /// Returns how many were woken. Looks even when nobody waits: an idle connection the
    /// server closed is then seen as such before the dispatcher hands its VU an arrival (the
    /// VU reconnects instead of sending into a closed connection).
    pub fn tick(&self) -> usize {
        if self.slots.borrow().len() == self.free.borrow().len() {
            // No socket in the set.
            return 0;
        }
        let zero = rustix::time::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let mut events = self.events.borrow_mut();
        let mut ready = self.ready.borrow_mut();
        loop {
            events.clear();
            if epoll::wait(&self.epoll, spare_capacity(&mut events), Some(&zero)).is_err() {
                // EINTR at worst: the next tick looks again.
                break;
            }
            let mut slots = self.slots.borrow_mut();
            for e in events.iter() {
                let flags = e.flags;
                let Some(slot) = slots.get_mut(e.data.u64() as usize) else {
                    continue;
                };
                let broken = flags.intersects(epoll::EventFlags::HUP | epoll::EventFlags::ERR);
                slot.read_closed |= broken || flags.contains(epoll::EventFlags::RDHUP);
                slot.write_closed |= broken;
                if slot.read_closed || flags.contains(epoll::EventFlags::IN) {
                    slot.readable = true;
                    ready.extend(slot.reader.take());
                }
                if slot.write_closed || flags.contains(epoll::EventFlags::OUT) {
                    slot.writable = true;
                    ready.extend(slot.writer.take());
                }
            }
            if events.len() < BATCH {
                break;
            }
        }
        drop(events);
        let woken = ready.len();
        self.waiting.set(self.waiting.get() - woken);
        // Woken with no borrow held: a waker may poll, or register, right away.
        let mut wakers = std::mem::take(&mut *ready);
        drop(ready);
        for w in wakers.drain(..) {
            w.wake();
        }
        // The buffer goes back for the next tick (nothing was added meanwhile but by a tick).
        *self.ready.borrow_mut() = wakers;
        woken
    }
}

/// A socket in this thread's paced set. Its readiness is what the last tick saw, cleared by the
/// owner when a read or write finds nothing to do.
pub struct Paced<T: AsFd> {
    io: T,
    pacer: Rc<Pacer>,
    slot: u32,
}

/// True while a dispatcher on this thread paces reads: sockets registered now are ticked.
pub fn is_on() -> bool {
    THIS_THREAD.with(|t| t.borrow().is_some())
}

/// Puts `io` (non-blocking, out of any other reactor) in this thread's paced set. Gives it back
/// when no dispatcher on this thread paces reads, or the kernel refuses it.
pub fn register<T: AsFd>(io: T) -> Result<Paced<T>, T> {
    let Some(pacer) = THIS_THREAD.with(|t| t.borrow().clone()) else {
        return Err(io);
    };
    let slot = match pacer.free.borrow_mut().pop() {
        Some(slot) => slot,
        None => {
            let mut slots = pacer.slots.borrow_mut();
            slots.push(Slot::default());
            (slots.len() - 1) as u32
        }
    };
    pacer.slots.borrow_mut()[slot as usize] = Slot {
        writable: true,
        ..Slot::default()
    };
    let interest = epoll::EventFlags::IN
        | epoll::EventFlags::OUT
        | epoll::EventFlags::RDHUP
        | epoll::EventFlags::ET;
    match epoll::add(
        &pacer.epoll,
        io.as_fd(),
        epoll::EventData::new_u64(slot as u64),
        interest,
    ) {
        Ok(()) => Ok(Paced { io, pacer, slot }),
        Err(_) => {
            pacer.free.borrow_mut().push(slot);
            Err(io)
        }
    }
}

/// Which way a socket is waited on.
#[derive(Clone, Copy)]
enum Way {
    Read,
    Write,
}

impl<T: AsFd> Paced<T> {
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// True when the last tick saw the socket readable and no read has come up empty since,
    /// or a tick saw the peer close it.
    pub fn is_readable(&self) -> bool {
        let slots = self.pacer.slots.borrow();
        let slot = &slots[self.slot as usize];
        slot.readable || slot.read_closed
    }

    /// Ready when a read may find bytes; otherwise the task waits for a tick that sees the
    /// socket readable.
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.poll(cx, Way::Read)
    }

    /// Ready when a write may find room; otherwise the task waits for a tick that sees room.
    pub fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.poll(cx, Way::Write)
    }

    /// A read found nothing (or less than it asked for): wait for the next readiness (unless
    /// the peer has closed: then the next read finds the end of the stream).
    pub fn clear_readable(&self) {
        let mut slots = self.pacer.slots.borrow_mut();
        let slot = &mut slots[self.slot as usize];
        slot.readable = slot.read_closed;
    }

    /// A write found no room.
    pub fn clear_writable(&self) {
        let mut slots = self.pacer.slots.borrow_mut();
        let slot = &mut slots[self.slot as usize];
        slot.writable = slot.write_closed;
    }

    fn poll(&self, cx: &mut Context<'_>, way: Way) -> Poll<()> {
        let mut slots = self.pacer.slots.borrow_mut();
        let slot = &mut slots[self.slot as usize];
        let (ready, waker) = match way {
            Way::Read => (slot.readable, &mut slot.reader),
            Way::Write => (slot.writable, &mut slot.writer),
        };
        if ready {
            return Poll::Ready(());
        }
        match waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            Some(w) => w.clone_from(cx.waker()),
            None => {
                *waker = Some(cx.waker().clone());
                drop(slots);
                self.pacer.start_waiting();
            }
        }
        Poll::Pending
    }
}

impl<T: AsFd> Drop for Paced<T> {
    fn drop(&mut self) {
        let _ = epoll::delete(&self.pacer.epoll, self.io.as_fd());
        let slot = std::mem::take(&mut self.pacer.slots.borrow_mut()[self.slot as usize]);
        let stored = slot.reader.is_some() as usize + slot.writer.is_some() as usize;
        self.pacer.waiting.set(self.pacer.waiting.get() - stored);
        self.pacer.free.borrow_mut().push(self.slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::io::Write;
    use std::os::unix::net::UnixStream;

    fn local<F: std::future::Future>(f: F) -> F::Output {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        tokio::task::LocalSet::new().block_on(&rt, f)
    }

    #[test]
    fn nothing_is_paced_without_a_dispatcher() {
        let (a, _b) = UnixStream::pair().unwrap();
        assert!(!is_on());
        assert!(register(a).is_err());
    }

    #[test]
    fn a_reader_waits_for_the_tick_after_its_bytes_arrive() {
        local(async {
            let installed = Installed::on_this_thread().unwrap();
            let pacer = installed.pacer();
            let (a, mut b) = UnixStream::pair().unwrap();
            a.set_nonblocking(true).unwrap();
            let paced = register(a).map_err(drop).unwrap();
            // Nothing seen yet: the reader waits, and the dispatcher knows one does.
            let reader = tokio::task::spawn_local(async move {
                poll_fn(|cx| paced.poll_readable(cx)).await;
                paced
            });
            tokio::task::yield_now().await;
            assert!(pacer.waiting());
            b.write_all(b"answer").unwrap();
            // The bytes are there, but only a tick tells the reader.
            tokio::task::yield_now().await;
            assert!(!reader.is_finished());
            assert_eq!(pacer.tick(), 1);
            let paced = reader.await.unwrap();
            assert!(paced.is_readable() && !pacer.waiting());
            // Cleared by a read that came up short, it waits for the next tick again.
            paced.clear_readable();
            assert!(!paced.is_readable());
            assert_eq!(pacer.tick(), 0, "nobody waits: nobody is woken");
        });
    }

    #[test]
    fn a_dispatcher_is_told_when_a_reader_starts_to_wait() {
        local(async {
            let installed = Installed::on_this_thread().unwrap();
            let (a, _b) = UnixStream::pair().unwrap();
            a.set_nonblocking(true).unwrap();
            let paced = register(a).map_err(drop).unwrap();
            let busy = tokio::task::spawn_local(async move {
                poll_fn(|cx| installed.pacer().poll_busy(cx)).await;
                installed
            });
            tokio::task::yield_now().await;
            assert!(!busy.is_finished());
            let reader = tokio::task::spawn_local(async move {
                poll_fn(|cx| paced.poll_readable(cx)).await;
            });
            let installed = busy.await.unwrap();
            assert!(installed.pacer().waiting());
            // A reader dropped while waiting is no longer waited for.
            reader.abort();
            let _ = reader.await;
            assert!(!installed.pacer().waiting());
        });
    }

    #[test]
    fn the_last_dispatcher_to_finish_switches_pacing_off() {
        local(async {
            let first = Installed::on_this_thread().unwrap();
            let second = Installed::on_this_thread().unwrap();
            assert!(Rc::ptr_eq(&first.pacer, &second.pacer));
            drop(first);
            assert!(is_on());
            drop(second);
            assert!(!is_on());
        });
    }
}
