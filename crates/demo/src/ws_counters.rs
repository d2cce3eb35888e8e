//! Server-side WebSocket accounting: connections and data messages, relaxed atomics like
//! the HTTP counters.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::{Deserialize, Serialize};

#[derive(Debug, Default)]
pub(crate) struct WsCounters {
    opened: AtomicU64,
    /// A level, not a count: a reset leaves it alone.
    open: AtomicU64,
    received: AtomicU64,
    sent: AtomicU64,
    close_frames: AtomicU64,
}

impl WsCounters {
    pub(crate) fn reset(&self) {
        for c in [&self.opened, &self.received, &self.sent, &self.close_frames] {
            c.store(0, Relaxed);
        }
    }

    pub(crate) fn snapshot(&self) -> WsCounts {
        WsCounts {
            connections_total: self.opened.load(Relaxed),
            connections_open: self.open.load(Relaxed),
            messages_received: self.received.load(Relaxed),
            messages_sent: self.sent.load(Relaxed),
            close_frames_received: self.close_frames.load(Relaxed),
        }
    }
}

/// What the WebSocket endpoints have seen (the `ws` object of `GET /__counters`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WsCounts {
    /// Upgrades completed.
    pub connections_total: u64,
    /// Connections open now.
    pub connections_open: u64,
    /// Data messages (text and binary) received from clients.
    pub messages_received: u64,
    /// Data messages sent to clients (echoes, ticks, acks, subscription answers).
    pub messages_sent: u64,
    /// Close frames received from clients (clean closes).
    pub close_frames_received: u64,
}

impl WsCounters {
    pub(crate) fn connection_opened(&self) {
        self.opened.fetch_add(1, Relaxed);
        self.open.fetch_add(1, Relaxed);
    }

    pub(crate) fn connection_closed(&self) {
        self.open.fetch_sub(1, Relaxed);
    }

    pub(crate) fn message_received(&self) {
        self.received.fetch_add(1, Relaxed);
    }

    pub(crate) fn message_sent(&self) {
        self.sent.fetch_add(1, Relaxed);
    }

    pub(crate) fn close_received(&self) {
        self.close_frames.fetch_add(1, Relaxed);
    }
}
