//! Integration tests of loadgen-report, one module per area.
#![allow(clippy::unwrap_used)]

mod pipeline;
mod report_html;
