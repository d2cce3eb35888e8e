//! loadgen-template: request templates every protocol shares.
//!
//! This crate owns the text a request is made from: parsing `{{…}}` variables once
//! ([`Template::parse_in`]: built-ins, data feeders' columns, journeys' captures), rendering
//! them per request ([`Vars`]: the VU's values, its seeded generator, the run's [`RunNonce`])
//! with each captured value escaped for the [`Place`] it lands in (percent-encoded in a path,
//! JSON-escaped in a JSON body, refused in a header when it holds a control character), and the
//! seams through which the layer above makes values and whole bodies ([`ValueSource`],
//! [`BodySource`]). HTTP, WebSocket, Redis and PostgreSQL sessions render through it.
//!
//! It must not know about sockets, any protocol's client (HTTP included) or scenario files: a
//! template is text in and bytes out. What a rendered request means is the protocol crate's
//! business; where a template's text comes from is the scenario's.
//!
//! Errors are a [`TemplateError`], found when a template is parsed, before anything runs;
//! rendering never fails (a capture that cannot be rendered marks the request refused).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod clock;
mod error;
mod generated;
mod template;

pub use error::TemplateError;
pub use generated::{BodySource, ValueSource};
pub use template::{escaped, put_decimal, Named, Place, RunNonce, Template, Vars};
