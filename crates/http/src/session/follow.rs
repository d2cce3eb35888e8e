//! Following a step's redirects on the VU's connection ([`crate::redirect`] decides where a
//! `Location` may lead).

use super::{settle, Shared, VuState};
use crate::exchange::{exchange, Answer};
use http::header::COOKIE;
use loadgen_engine::Outcome;
use std::pin::pin;
use tokio::time::Instant;

/// What a followed redirect sends again: the first request's method, headers and body, and
/// the path and query a relative `Location` is resolved against.
pub(super) struct Again {
    pub(super) method: http::Method,
    pub(super) headers: http::HeaderMap,
    pub(super) body: bytes::Bytes,
    pub(super) here: String,
}

impl VuState {
    /// Follows the redirect in `self.hop` and any after it, up to the step's limit, on the
    /// VU's connection (reopened when an answer closed it), inside the step's one deadline:
    /// their time is the step's. The last answer is judged and captured from; a redirect past
    /// the limit is judged as the 3xx it is.
    pub(super) async fn follow(
        &mut self,
        sh: &Shared,
        index: usize,
        mut again: Again,
        mut keep: bool,
        sent: Instant,
        first_byte: &mut Option<Instant>,
    ) -> (Outcome, bool) {
        let step = &sh.steps[index];
        let mut hops = 0u8;
        while let Some(pq) = self.hop.take() {
            hops += 1;
            if !keep {
                self.conn = None;
            }
            if let Err(outcome) = self.open_conn(sh).await {
                return (outcome, false);
            }
            let Some(conn) = self.conn.as_mut() else {
                return (Outcome::Connect, false);
            };
            let status = self.status;
            let (method, body_kept) = crate::redirect::method_after(status, &again.method);
            if !body_kept {
                again.body = bytes::Bytes::new();
                crate::redirect::without_body(&mut again.headers);
            }
            again.method = method;
            again.here = pq.as_str().to_owned();
            let Some(uri) = sh.target.uri(pq, conn.is_h2()) else {
                return (Outcome::Protocol, keep);
            };
            let mut req = http::Request::new(http_body_util::Full::new(again.body.clone()));
            *req.method_mut() = again.method.clone();
            *req.uri_mut() = uri;
            *req.headers_mut() = again.headers.clone();
            if conn.is_h2() {
                *req.version_mut() = http::Version::HTTP_2;
                req.headers_mut().remove(http::header::HOST);
            }
            let jar = self.jar.as_mut().map(|jar| {
                if let Some(cookie) = jar.header_for(&again.here) {
                    req.headers_mut().entry(COOKIE).or_insert(cookie);
                }
                (jar, again.here.clone())
            });
            let more = hops < step.follow_redirects;
            let exchanged = {
                let exchange = pin!(exchange(
                    conn,
                    req,
                    &step.expect,
                    None,
                    Answer {
                        body: &mut self.body,
                        first_byte,
                        status: &mut self.status,
                        captures: &step.captures,
                        slots: &mut self.slots,
                        missed: &mut self.missed,
                        jar,
                        follow: more.then_some((&sh.target, again.here.as_str())),
                        hop: &mut self.hop,
                    },
                ));
                self.deadline.run(sent + sh.request_timeout, exchange).await
            };
            let settled = settle(exchanged);
            keep = settled.1;
            if self.hop.is_none() {
                return settled;
            }
        }
        (Outcome::Success, keep)
    }
}
