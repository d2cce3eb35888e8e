//! How a fast step judges an answer on either lean wire: [`Verdict`], the one adapter from
//! a step's [`Expect`], its captures ([`Take`]) and whether the request was built to fail,
//! to the wires' common [`loadgen_h1::Judge`] (which `loadgen-h2` re-exports).

use crate::expect::Expect;
use loadgen_engine::Outcome;

/// What a step takes from an answer besides its judgement: nothing (`()`, the plain loop,
/// which compiles to the exchange without it), or a journey step's captures.
pub(crate) trait Take {
    /// Sees each header of the final head, in order, while it is parsed.
    fn header(&mut self, name: &[u8], value: &[u8]);
    /// False when [`Take::header`] ignores every header: on HTTP/1.1 a head equal to the
    /// last one is then not parsed again (`loadgen_h1::memo`).
    fn sees_headers(&self) -> bool;
    /// True when the body must be kept for the captures.
    fn needs_body(&self) -> bool;
    /// After an answer judged a success: `false` when a capture found nothing.
    fn finish(&mut self, body: &[u8], overflow: bool) -> bool;
}

impl Take for () {
    #[inline(always)]
    fn header(&mut self, _: &[u8], _: &[u8]) {}
    #[inline(always)]
    fn sees_headers(&self) -> bool {
        false
    }
    #[inline(always)]
    fn needs_body(&self) -> bool {
        false
    }
    #[inline(always)]
    fn finish(&mut self, _: &[u8], _: bool) -> bool {
        true
    }
}

/// A step's judgement of an answer: the status against the step's [`Expect`] (as one built
/// to fail, when the request was: [`Expect::check_status_for`]), the body checks, then the
/// captures ([`Take`]), which see only an answer that passed.
/// Two lifetimes, so a future that holds one can name both (`fast`'s `Exchange` for
/// `H1Ready` and `H2Ready`).
pub(crate) struct Verdict<'t, 'e, T> {
    pub(crate) take: &'t mut T,
    pub(crate) expect: &'e Expect,
    pub(crate) built_to_fail: Option<u16>,
}

impl<T: Take> loadgen_h1::Judge for Verdict<'_, '_, T> {
    #[inline]
    fn header(&mut self, name: &[u8], value: &[u8]) {
        self.take.header(name, value);
    }

    #[inline]
    fn sees_headers(&self) -> bool {
        self.take.sees_headers()
    }

    #[inline]
    fn status(&mut self, code: u16) -> Result<(), Outcome> {
        self.expect.check_status_for(code, self.built_to_fail)
    }

    #[inline]
    fn needs_body(&self) -> bool {
        self.expect.needs_body() || self.take.needs_body()
    }

    #[inline]
    fn finish(&mut self, body: &[u8], overflow: bool) -> Outcome {
        // A body kept and cut short fails whichever of the two wanted it.
        if overflow || (self.expect.needs_body() && !self.expect.check_body(body)) {
            return Outcome::CheckFailed;
        }
        match self.take.finish(body, overflow) {
            true => Outcome::Success,
            false => Outcome::CheckFailed,
        }
    }
}
