//! loadgen-http: HTTP/1.1 and HTTP/2 client sessions for the engine, on hyper and rustls.
//!
//! This crate owns everything between "send this request" and "here is the outcome and its
//! timings": connections (one per VU, see [`HttpSession`]), TLS, requests built from
//! templates ([`Template`], from `loadgen-template`, re-exported), response checks
//! ([`Expect`]) and the mapping of every fault to an engine
//! [`Outcome`](loadgen_engine::Outcome) ([`classify`]). It implements the engine's
//! [`SessionFactory`](loadgen_engine::SessionFactory) / [`Session`](loadgen_engine::Session)
//! seam with [`HttpFactory`].
//!
//! It must not know about scenario files (TOML), traffic patterns, payload generators or
//! thresholds: the scenario crate turns those into a [`ClientConfig`] and [`RequestSpec`]s.
//!
//! Plain `http://` HTTP/1.1 sessions use a pre-encoded fast path on `httparse` ([`fast`]),
//! journeys' captures included; HTTP/2 sessions where each VU owns its connection use the
//! lean HTTP/2 path ([`fast::h2`]: pre-encoded header blocks, frames read in place, h2c or
//! TLS with ALPN `h2`); shared HTTP/2 connections use the `h2` crate; TLS HTTP/1.1, cookie
//! jars, redirects and anything else the fast paths leave alone use hyper. All report the
//! same outcomes and timings; [`ClientConfig::fast_path`] forces hyper and the `h2` crate.
//!
//! Errors are split by time: a configuration that cannot work is an [`HttpError`] from
//! [`BaseUrl::parse`] or [`HttpFactory::new`] (or a [`TemplateError`] from [`Template::parse`],
//! which an [`HttpError`] wraps unchanged), before anything runs;
//! during a run every fault is an outcome, counted, never fatal and never formatted.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod base_url;
mod classify;
mod config;
mod connect;
mod cookies;
mod deadline;
mod error;
mod exchange;
mod expect;
pub mod fast;
mod h2_pool;
mod proxy;
mod redirect;
mod reply;
mod request;
mod session;
mod tls;

pub use base_url::BaseUrl;
pub use classify::{classify, classify_io};
pub use config::{ClientConfig, HostOverrides, HttpVersion};
pub use connect::{Conn, Dialer, Phases};
pub use error::HttpError;
pub use expect::Expect;
pub use loadgen_capture::{Capture, CaptureError, CaptureSource, JsonPath, Slots};
pub use loadgen_tls::{
    client_tls_config, load_ca_file, ClientIdentity, MinTlsVersion, TlsError, TlsOptions,
};
pub use proxy::Proxy;
pub use reply::Reply;
pub use request::RequestSpec;
pub use session::{
    HttpFactory, HttpSession, OnceFailure, CAPTURE_MISSED_BASE, GUARDED_METRIC, REAUTH_METRIC,
    SKIPPED_METRIC,
};
// Templates are their own crate; these paths stay for callers that reach them through http.
pub use loadgen_template::{
    escaped, BodySource, Named, Place, RunNonce, Template, TemplateError, ValueSource, Vars,
};
