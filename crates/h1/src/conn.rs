//! A VU's HTTP/1.1 connection: in tokio's reactor (woken when its answer arrives), or paced
//! (read when the open model's dispatcher wakes, and timed by the kernel; see `paced`).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;

#[cfg(target_os = "linux")]
use crate::paced::PacedTcp;

pub(crate) enum Conn {
    Tokio(TcpStream),
    #[cfg(target_os = "linux")]
    Paced(PacedTcp),
}

impl Conn {
    /// `tcp`, paced when asked and this thread paces reads (else as it is).
    pub fn new(tcp: TcpStream, paced: bool) -> Option<Conn> {
        #[cfg(target_os = "linux")]
        if paced {
            return PacedTcp::try_from_tokio(tcp).map(|p| match p {
                Ok(paced) => Conn::Paced(paced),
                Err(tcp) => Conn::Tokio(tcp),
            });
        }
        let _ = paced;
        Some(Conn::Tokio(tcp))
    }

    /// A non-blocking read, for telling a live idle connection from a dead one.
    #[inline]
    pub fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Tokio(tcp) => tcp.try_read(buf),
            #[cfg(target_os = "linux")]
            Conn::Paced(tcp) => tcp.try_read(buf),
        }
    }

    #[inline]
    pub fn try_write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tokio(tcp) => tcp.try_write(buf),
            #[cfg(target_os = "linux")]
            Conn::Paced(tcp) => tcp.try_write(buf),
        }
    }

    /// Forgets when the last answer arrived: a new exchange begins.
    #[inline]
    pub fn begin(&mut self) {
        #[cfg(target_os = "linux")]
        if let Conn::Paced(tcp) = self {
            tcp.forget_arrival();
        }
    }

    /// When the bytes read last arrived: the kernel's timestamp on a paced connection, now on
    /// one the runtime woke for (it was read as it arrived).
    #[inline]
    pub fn arrival(&self) -> Instant {
        self.stamped_arrival().unwrap_or_else(Instant::now)
    }

    /// The kernel's timestamp of the bytes read last, on a paced connection.
    #[inline]
    pub fn stamped_arrival(&self) -> Option<Instant> {
        match self {
            Conn::Tokio(_) => None,
            #[cfg(target_os = "linux")]
            Conn::Paced(tcp) => tcp.arrival(),
        }
    }
}

impl AsyncRead for Conn {
    #[inline]
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Tokio(tcp) => Pin::new(tcp).poll_read(cx, buf),
            #[cfg(target_os = "linux")]
            Conn::Paced(tcp) => Pin::new(tcp).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Tokio(tcp) => Pin::new(tcp).poll_write(cx, buf),
            #[cfg(target_os = "linux")]
            Conn::Paced(tcp) => Pin::new(tcp).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Tokio(tcp) => Pin::new(tcp).poll_flush(cx),
            #[cfg(target_os = "linux")]
            Conn::Paced(tcp) => Pin::new(tcp).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Tokio(tcp) => Pin::new(tcp).poll_shutdown(cx),
            #[cfg(target_os = "linux")]
            Conn::Paced(tcp) => Pin::new(tcp).poll_shutdown(cx),
        }
    }
}
