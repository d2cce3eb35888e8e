//! The caller's side of an exchange, shared by both lean wires (this crate's HTTP/1.1 link
//! and `loadgen-h2`'s, which re-exports it): what the caller makes of an answer, told as it
//! is read. One trait, so `loadgen-http` judges both paths with one adapter.

use loadgen_engine::Outcome;

/// What the caller makes of an answer, told as it is read: each header of the final head,
/// its status, then (when the status passed) the whole body. Generic, so a caller with
/// nothing to capture compiles to an exchange without any of it.
pub trait Judge {
    /// Sees each header of the final head, in order, while it is parsed or decoded (before
    /// [`Judge::status`]).
    fn header(&mut self, name: &[u8], value: &[u8]);
    /// False when [`Judge::header`] ignores every header: the HTTP/1.1 link then answers a
    /// head equal to the connection's last one from its memo ([`crate::memo`]) instead of
    /// parsing it, and hands no header over. The HTTP/2 link decodes every block anyway (its
    /// table must stay in step) and may hand headers over regardless.
    fn sees_headers(&self) -> bool;
    /// Judges the final status: `Err(outcome)` is the verdict, `Ok(())` goes on to the body.
    fn status(&mut self, code: u16) -> Result<(), Outcome>;
    /// After a status that passed: true when the body must be kept for [`Judge::finish`].
    fn needs_body(&self) -> bool;
    /// After a status that passed and a complete answer: the verdict. `body` is the body when
    /// [`Judge::needs_body`] said so (else empty, and `overflow` false); `overflow`: it was
    /// longer than the exchange's `max_body` and was not kept.
    fn finish(&mut self, body: &[u8], overflow: bool) -> Outcome;
}

/// A judge lent for one exchange: the caller keeps it and reads what it was told afterwards.
impl<J: Judge + ?Sized> Judge for &mut J {
    #[inline]
    fn header(&mut self, name: &[u8], value: &[u8]) {
        (**self).header(name, value);
    }

    #[inline]
    fn sees_headers(&self) -> bool {
        (**self).sees_headers()
    }

    #[inline]
    fn status(&mut self, code: u16) -> Result<(), Outcome> {
        (**self).status(code)
    }

    #[inline]
    fn needs_body(&self) -> bool {
        (**self).needs_body()
    }

    #[inline]
    fn finish(&mut self, body: &[u8], overflow: bool) -> Outcome {
        (**self).finish(body, overflow)
    }
}
