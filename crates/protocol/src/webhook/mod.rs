//! The webhook slice: `webhook = {…}` and `callback = {…}` steps — their grammar and checks
//! (`validate`, `grammar`) and the workload they build (`build`).
//!
//! ```toml
//! [[workload.step]]
//! name = "deliver"
//! webhook = { provider = "stripe", secret = "${STRIPE_WEBHOOK_SECRET:-whsec_…}", path = "/webhooks/stripe",
//!             payload = "@payment", events = { "payment_intent.succeeded" = 80, "charge.refunded" = 20 },
//!             retries = { max = 3, backoff = "100ms", max_backoff = "2s" },
//!             fail = { share = "10%", bad_signature = 4, stale = 2, duplicate = 3, out_of_order = 1 } }
//!
//! [[workload.step]]
//! name = "pay-async"
//! callback = { path = "/api/payments/async", json = "@payment", within = "2s" }
//! ```
//!
//! A workload's steps are all HTTP steps or all webhook/callback steps (one session type per
//! workload). Secrets are kept in [`Secret`], whose `Debug` prints `***`; no message here
//! ever quotes one.

pub(crate) mod build;
mod fields;
pub(crate) mod grammar;
pub(crate) mod spec;
pub(crate) mod validate;

pub use spec::{
    CallbackSpec, DeliverySpec, WebhookBuildError, WebhookStep, WebhookStepSpec, WebhookWorkload,
};
