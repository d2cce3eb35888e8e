//! Read buffers lent per answer from a small pool of the worker thread's, instead of one kept
//! by every VU.
//!
//! A VU needs a read buffer only from the moment its answer is readable until the answer is
//! read, and most answers are read whole by the first read: then the buffer goes straight back
//! to the pool, and one buffer serves every VU of the thread, hot in the cache. Only an answer
//! split over several reads (a large body, a slow server) holds its buffer across waits. At
//! 10,000 connections that is ~80 MiB less than a kept 8 KiB buffer per VU, and memory no
//! longer grows with the connections (wrk keeps one buffer per thread the same way).
//!
//! A worker thread's VUs run on that thread's current-thread runtime, so the pool is plain
//! per-thread state: no lock, and it is never borrowed across an await.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Size of a fresh read buffer (hyper's initial buffer size too).
pub(crate) const READ_BUF: usize = 8 << 10;
/// A body read may grow the buffer to this, to take large bodies in fewer reads.
pub(crate) const BODY_READ_BUF: usize = 64 << 10;
/// Spare buffers a thread keeps: enough for the answers that are split over reads at once
/// in a busy run with large bodies; past it, a returned buffer is freed.
const SPARES: usize = 16;

thread_local! {
    static POOL: Rc<Pool> = Rc::new(Pool::default());
}

/// A worker thread's spare read buffers. Each VU's link holds the thread's pool, so the hot
/// path reaches it without a thread-local lookup.
#[derive(Default)]
pub(crate) struct Pool {
    /// The buffer most recently given back, at its plain size: in the common case (one answer
    /// read at a time) the only one used, and taken and given back without touching `spare`.
    hot: Cell<Option<Vec<u8>>>,
    /// The others (answers split over reads hold theirs while the next VU reads).
    spare: RefCell<Vec<Vec<u8>>>,
}

impl Pool {
    /// The calling thread's pool.
    pub fn of_this_thread() -> Rc<Pool> {
        POOL.with(Rc::clone)
    }

    /// A spare buffer, or a fresh one.
    #[inline]
    pub fn lend(&self) -> Lease<'_> {
        let buf = match self.hot.take() {
            Some(buf) => buf,
            None => self.lend_spare(),
        };
        Lease {
            buf,
            used_big: false,
            pool: self,
        }
    }

    #[cold]
    fn lend_spare(&self) -> Vec<u8> {
        self.spare
            .borrow_mut()
            .pop()
            .unwrap_or_else(|| vec![0; READ_BUF])
    }

    #[cold]
    fn give_back_spare(&self, mut buf: Vec<u8>, used_big: bool) {
        if buf.len() > READ_BUF && (!used_big || buf.len() > BODY_READ_BUF) {
            // A head past the body size is rarer still: never pooled at that size.
            buf.truncate(READ_BUF);
            buf.shrink_to_fit();
        }
        let mut spare = self.spare.borrow_mut();
        if spare.len() < SPARES {
            spare.push(buf);
        }
    }

    /// The spare buffers' sizes, the hot one first, for tests.
    #[cfg(test)]
    pub fn spares(&self) -> Vec<usize> {
        let hot = self.hot.take();
        let mut sizes: Vec<usize> = hot.iter().map(Vec::len).collect();
        self.hot.set(hot);
        sizes.extend(self.spare.borrow().iter().map(Vec::len));
        sizes
    }
}

/// A read buffer lent for one answer; dropping it gives it back to the pool.
pub(crate) struct Lease<'p> {
    /// Its length is its usable size (zeroed once, so reads need no initialisation).
    pub buf: Vec<u8>,
    /// This answer grew the buffer or read more than [`READ_BUF`] at once: a grown buffer is
    /// kept while answers use it, and shrunk when one that does not gives it back (a rare
    /// large answer must not leave the pool holding large buffers).
    pub used_big: bool,
    pool: &'p Pool,
}

impl Drop for Lease<'_> {
    #[inline]
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        if buf.len() == READ_BUF {
            if let Some(other) = self.pool.hot.replace(Some(buf)) {
                self.pool.give_back_spare(other, false);
            }
        } else {
            self.pool.give_back_spare(buf, self.used_big);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_to_the_pool_and_only_a_used_large_one_stays_large() {
        let pool = Pool::default();
        let first = pool.lend();
        let second = pool.lend();
        assert_eq!((first.buf.len(), second.buf.len()), (READ_BUF, READ_BUF));
        drop(first);
        drop(second);
        assert_eq!(pool.spares(), vec![READ_BUF, READ_BUF], "both given back");

        let mut big = pool.lend();
        big.buf.resize(BODY_READ_BUF, 0);
        big.used_big = true;
        drop(big);
        assert_eq!(
            pool.spares(),
            vec![READ_BUF, BODY_READ_BUF],
            "kept large: it was used"
        );

        let reused = pool.lend();
        assert_eq!(reused.buf.len(), BODY_READ_BUF, "the last one given back");
        drop(reused);
        assert_eq!(
            pool.spares(),
            vec![READ_BUF, READ_BUF],
            "shrunk by an answer that did not need it"
        );

        let many: Vec<Lease> = (0..SPARES + 5).map(|_| pool.lend()).collect();
        drop(many);
        assert_eq!(pool.spares().len(), SPARES + 1, "the pool is bounded");
    }
}
