//! The lean HTTP/2 path: one connection per VU, one request at a time, frames written and
//! read by this module instead of the `h2` crate.
//!
//! Module docs: see the end of this file's rewrite (filled in below).

mod conn;
mod encode;
mod frame;
mod hpack;
mod link;

pub(crate) use encode::H2Encoded;
pub(crate) use link::{H2Link, Io};

use crate::config::{ClientConfig, HttpVersion};
use crate::request::{Step, Target};

/// Pre-encodes every step when the lean HTTP/2 path applies to this configuration; `None`
/// means the sessions use the `h2` crate (or HTTP/1.1).
pub(crate) fn plan(
    config: &ClientConfig,
    steps: &[Step],
    target: &Target,
) -> Option<Vec<H2Encoded>> {
    let own_connection = config.streams_per_connection <= 1 || config.new_connection_per_iteration;
    if !config.fast_path
        || config.version != HttpVersion::Http2
        || !own_connection
        || config.proxy.is_some()
    {
        return None;
    }
    steps.iter().map(|s| H2Encoded::new(s, target)).collect()
}
