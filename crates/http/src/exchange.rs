//! One hyper request/response exchange of a step: send, read the whole answer, judge it
//! against the step's `Expect` and fill its captures.

use crate::connect::Conn;
use crate::cookies::Jar;
use crate::expect::Expect;
use crate::request::Target;
use http::header::CONNECTION;
use http::uri::PathAndQuery;
use http::HeaderMap;
use loadgen_capture::{Capture, Slots};
use loadgen_engine::Outcome;
use tokio::time::Instant;

/// Bodies longer than this are drained but not kept for checks.
pub(crate) const MAX_CHECKED_BODY: usize = 16 << 20;

/// Where an exchange leaves what it read: the body (when checks or captures need it), the
/// time of the first byte, the status, and the step's captures.
pub(crate) struct Answer<'a> {
    pub(crate) body: &'a mut Vec<u8>,
    pub(crate) first_byte: &'a mut Option<Instant>,
    pub(crate) status: &'a mut u16,
    pub(crate) captures: &'a [Capture],
    pub(crate) slots: &'a mut Slots,
    pub(crate) missed: &'a mut Option<usize>,
    /// The VU's cookie jar and the request's path, when cookies are kept.
    pub(crate) jar: Option<(&'a mut Jar, String)>,
    /// When a redirect may be followed: the target and the request's path and query.
    pub(crate) follow: Option<(&'a Target, &'a str)>,
    /// Where a followed redirect leads (set instead of judging the answer).
    pub(crate) hop: &'a mut Option<PathAndQuery>,
}

/// Sends `req`, reads the whole response and judges it. `Ok((outcome, keep_connection))` when
/// a response arrived complete; `Err(outcome)` for a connection-level failure.
pub(crate) async fn exchange(
    conn: &mut Conn,
    req: http::Request<http_body_util::Full<bytes::Bytes>>,
    expect: &Expect,
    built_to_fail: Option<u16>,
    answer: Answer<'_>,
) -> Result<(Outcome, bool), Outcome> {
    let Answer {
        body,
        first_byte,
        status,
        captures,
        slots,
        missed,
        jar,
        follow,
        hop,
    } = answer;
    let mut reply = conn.send(req).await?;
    *first_byte = Some(Instant::now());
    let code = reply.head.status.as_u16();
    *status = code;
    let keep = conn.is_h2() || !wants_close(&reply.head.headers);
    let next = follow
        .and_then(|(target, here)| crate::redirect::next(code, &reply.head.headers, here, target));
    let verdict = expect.check_status_for(code, built_to_fail);
    let keep_body = next.is_none()
        && verdict.is_ok()
        && (expect.needs_body() || captures.iter().any(Capture::needs_body));
    body.clear();
    let mut overflow = false;
    if let Some((jar, path)) = jar {
        jar.store_from(&path, &reply.head.headers);
    }
    while let Some(data) = reply.chunk().await {
        let data = data?;
        if keep_body {
            if body.len() + data.len() <= MAX_CHECKED_BODY {
                body.extend_from_slice(&data);
            } else {
                overflow = true;
            }
        }
    }
    if next.is_some() {
        // A hop: the final answer is judged, not this one.
        *hop = next;
        return Ok((Outcome::Success, keep));
    }
    let outcome = match verdict {
        Err(outcome) => outcome,
        Ok(()) if !keep_body => Outcome::Success,
        Ok(()) if !overflow && expect.check_body(body) => Outcome::Success,
        Ok(()) => Outcome::CheckFailed,
    };
    if outcome != Outcome::Success {
        return Ok((outcome, keep));
    }
    for c in captures {
        if overflow || !slots.fill(c, &reply.head.headers, body) {
            *missed = Some(c.slot);
            return Ok((Outcome::CheckFailed, keep));
        }
    }
    Ok((outcome, keep))
}

/// True when an HTTP/1 response says the server closes the connection after it.
fn wants_close(headers: &HeaderMap) -> bool {
    headers.get_all(CONNECTION).iter().any(|v| {
        v.as_bytes()
            .split(|b| *b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"))
    })
}
