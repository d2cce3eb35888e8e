//! A response as a step reads it: the head, then the body chunk by chunk, the same for
//! HTTP/1.1 (hyper's body) and HTTP/2 (an `h2` stream, whose flow-control window is given
//! back as each chunk is read, so a long body never stalls).

use crate::classify::{classify, classify_h2_error};
use bytes::Bytes;
use http::response::Parts;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use loadgen_engine::Outcome;

/// The head and body of an answer.
pub struct Reply {
    /// Status, headers and version.
    pub head: Parts,
    body: ReplyBody,
}

enum ReplyBody {
    H1(Incoming),
    H2(h2::RecvStream),
}

impl Reply {
    pub(crate) fn h1(resp: hyper::Response<Incoming>) -> Reply {
        let (head, body) = resp.into_parts();
        Reply {
            head,
            body: ReplyBody::H1(body),
        }
    }

    pub(crate) fn h2(resp: http::Response<h2::RecvStream>) -> Reply {
        let (head, body) = resp.into_parts();
        Reply {
            head,
            body: ReplyBody::H2(body),
        }
    }

    /// The next piece of the body; `None` at its end (trailers are read and dropped).
    pub async fn chunk(&mut self) -> Option<Result<Bytes, Outcome>> {
        match &mut self.body {
            ReplyBody::H1(body) => loop {
                match body.frame().await? {
                    Err(e) => return Some(Err(classify(&e))),
                    Ok(frame) => {
                        if let Ok(data) = frame.into_data() {
                            return Some(Ok(data));
                        }
                    }
                }
            },
            ReplyBody::H2(stream) => match stream.data().await {
                Some(Ok(data)) => {
                    // Read, so the peer may send as much again.
                    let _ = stream.flow_control().release_capacity(data.len());
                    Some(Ok(data))
                }
                Some(Err(e)) => Some(Err(classify_h2_error(&e))),
                None if stream.is_end_stream() => None,
                None => match stream.trailers().await {
                    Ok(_) => None,
                    Err(e) => Some(Err(classify_h2_error(&e))),
                },
            },
        }
    }
}
