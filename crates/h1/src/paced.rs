//! A paced HTTP/1.1 socket: out of tokio's reactor, in the thread's paced set
//! ([`loadgen_pace::set`]), so its answer is read when the open model's dispatcher wakes
//! next rather than the moment it arrives. Every read asks the kernel when the bytes arrived
//! (`SO_TIMESTAMPNS`), and the exchange is timed by that, not by when it was read: reading up
//! to a granularity later holds the VU longer but changes no latency.
//!
//! The kernel may leave a segment unstamped (the first ones after timestamping is switched on
//! anywhere on the machine): such a read is timed when it is read, as a woken socket's is.

use loadgen_pace::set::{self as pace, Paced};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream as StdTcp};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;

pub(crate) struct PacedTcp {
    io: Paced<StdTcp>,
    /// When the bytes read last arrived, by the kernel's clock; `None` before the first read
    /// of an exchange, or when the kernel did not stamp them.
    arrived: Option<Instant>,
}

impl PacedTcp {
    /// `tcp` taken out of tokio's reactor into this thread's paced set. `Ok(Err(tcp))` when the
    /// thread paces nothing (or the kernel refuses timestamps): `tcp` as it was. `None` when it
    /// was lost on the way back (the VU reconnects).
    pub fn try_from_tokio(tcp: TcpStream) -> Option<Result<PacedTcp, TcpStream>> {
        if !pace::is_on() {
            return Some(Err(tcp));
        }
        keep_stamping_on();
        if stamp_arrivals(tcp.as_fd()).is_err() {
            return Some(Err(tcp));
        }
        // Still non-blocking: `into_std` only leaves the reactor.
        let std = tcp.into_std().ok()?;
        match pace::register(std) {
            Ok(io) => Some(Ok(PacedTcp { io, arrived: None })),
            Err(std) => TcpStream::from_std(std).ok().map(Err),
        }
    }

    pub fn forget_arrival(&mut self) {
        self.arrived = None;
    }

    pub fn arrival(&self) -> Option<Instant> {
        self.arrived
    }

    /// A read that never waits: without a system call while the last tick saw nothing.
    pub fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.io.is_readable() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let read = self.io.get_ref().read(buf);
        if matches!(&read, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.io.clear_readable();
        }
        read
    }

    pub fn try_write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.io.get_ref().write(buf);
        if matches!(&written, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.io.clear_writable();
        }
        written
    }
}

impl AsyncRead for PacedTcp {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // Out of tokio's reactor, the socket spends the task's budget itself: a VU reading a
        // long body from a fast server yields now and then, as on a tokio socket, instead of
        // starving the dispatcher.
        let coop = ready!(tokio::task::coop::poll_proceed(cx));
        loop {
            ready!(this.io.poll_readable(cx));
            let into = buf.initialize_unfilled();
            let asked = into.len();
            match recv_stamped(this.io.get_ref().as_fd(), into) {
                Ok((n, stamp)) => {
                    if n < asked {
                        // Drained: the next read waits for a tick that sees more.
                        this.io.clear_readable();
                    }
                    this.arrived = stamp.map(instant_of);
                    buf.advance(n);
                    coop.made_progress();
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => this.io.clear_readable(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for PacedTcp {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            ready!(this.io.poll_writable(cx));
            match this.try_write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                done => return Poll::Ready(done),
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.io.get_ref().shutdown(Shutdown::Write))
    }
}

/// Maps a kernel timestamp (the realtime clock) onto the monotonic clock, by their offset
/// now: the realtime clock read between two monotonic reads, their midpoint taken as its
/// moment (read again once if the thread was held up between them). A stamp ahead of now
/// (the realtime clock stepped back) is taken as now.
fn instant_of(since_epoch: Duration) -> Instant {
    let mut pair = clocks();
    if pair.2 > Duration::from_micros(20) {
        pair = clocks();
    }
    let (now, wall, _) = pair;
    match wall.checked_sub(since_epoch) {
        Some(age) => now.checked_sub(age).unwrap_or(now),
        None => now,
    }
}

/// (the monotonic clock, the realtime clock since the epoch, the width of the reading).
fn clocks() -> (Instant, Duration, Duration) {
    let before = Instant::now();
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let after = Instant::now();
    let width = after - before;
    (before + width / 2, wall, width)
}

thread_local! {
    /// A socket that asks for timestamps for as long as the thread lives.
    static STAMPING: std::cell::OnceCell<Option<std::net::UdpSocket>> =
        const { std::cell::OnceCell::new() };
}

/// The kernel stamps arriving segments only while some socket asks for it, and switches that
/// on in the background, so the first segments after it are unstamped. A socket held for the
/// thread's life keeps it on from the first paced connection (opened before the clock starts)
/// on, however often connections come and go.
fn keep_stamping_on() {
    STAMPING.with(|s| {
        s.get_or_init(|| {
            let udp = std::net::UdpSocket::bind("127.0.0.1:0").ok()?;
            stamp_arrivals(udp.as_fd()).ok()?;
            Some(udp)
        });
    });
}

/// Asks the kernel to stamp each read with when its bytes arrived.
#[allow(unsafe_code)]
fn stamp_arrivals(fd: BorrowedFd<'_>) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: `fd` is an open socket for the call; the option value is a live c_int of the
    // length given.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_TIMESTAMPNS,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    match rc {
        0 => Ok(()),
        _ => Err(io::Error::last_os_error()),
    }
}

/// One `recvmsg` into `into`, with the arrival timestamp the kernel attached (time since the
/// epoch), if any.
#[allow(unsafe_code)]
fn recv_stamped(fd: BorrowedFd<'_>, into: &mut [u8]) -> io::Result<(usize, Option<Duration>)> {
    let mut iov = libc::iovec {
        iov_base: into.as_mut_ptr().cast(),
        iov_len: into.len(),
    };
    // Room for one SCM_TIMESTAMPNS (a cmsghdr and a timespec), aligned for cmsghdr.
    let mut control = [0u64; 8];
    // SAFETY: an all-zero msghdr is valid (no name, no buffers); the fields set below point at
    // `iov` and `control`, which outlive the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: `msg` describes writable memory of the stated lengths (`into`, `control`).
    let n = unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut stamp = None;
    // SAFETY: walking the control messages the kernel wrote into `control`, within
    // `msg_controllen`, with libc's own macros; the timestamp is read unaligned.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            let whole = (*c).cmsg_len as usize
                >= libc::CMSG_LEN(std::mem::size_of::<libc::timespec>() as u32) as usize;
            if (*c).cmsg_level == libc::SOL_SOCKET
                && (*c).cmsg_type == libc::SCM_TIMESTAMPNS
                && whole
            {
                let ts: libc::timespec = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast());
                if ts.tv_sec > 0 {
                    stamp = Some(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32));
                }
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    Ok((n as usize, stamp))
}
