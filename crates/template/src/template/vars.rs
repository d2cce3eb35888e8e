//! The values one request renders with, and the run's nonce mixed into every `{{uuid}}`.

use crate::clock;
use loadgen_capture::Slots;
use rand::rngs::SmallRng;
use rand::Rng;

/// The values one request renders with. Per-request values (`uuid`, timestamps) are made on
/// first use and then reused for every template of that request.
pub struct Vars<'a> {
    pub(super) nonce: RunNonce,
    pub(super) vu: u64,
    pub(super) iteration: u64,
    pub(super) seq: u64,
    pub(super) step: &'a str,
    pub(super) rng: &'a mut SmallRng,
    pub(super) uuid: Option<[u8; 36]>,
    pub(super) now_ms: Option<u64>,
    pub(super) built_to_fail: Option<u16>,
    pub(super) captures: Option<&'a Slots>,
    pub(super) refused: bool,
}

impl<'a> Vars<'a> {
    /// Values for one request of VU `vu` in the run of `nonce`.
    #[inline]
    pub fn new(
        nonce: RunNonce,
        vu: u64,
        iteration: u64,
        seq: u64,
        step: &'a str,
        rng: &'a mut SmallRng,
    ) -> Self {
        Vars {
            nonce,
            vu,
            iteration,
            seq,
            step,
            rng,
            uuid: None,
            now_ms: None,
            built_to_fail: None,
            captures: None,
            refused: false,
        }
    }

    /// The same values, with this iteration's captures.
    #[inline]
    pub fn with_captures(mut self, slots: &'a Slots) -> Self {
        self.captures = Some(slots);
        self
    }

    /// True when a capture could not be rendered (missing, or unfit for a header): the
    /// request must not be sent.
    #[inline]
    pub fn refused(&self) -> bool {
        self.refused
    }

    /// The status a correct target answers when a generated body was built to fail (see
    /// [`BodySource`](crate::BodySource)); `None` for an ordinary request.
    #[inline]
    pub fn built_to_fail(&self) -> Option<u16> {
        self.built_to_fail
    }

    pub(super) fn now_ms(&mut self) -> u64 {
        *self.now_ms.get_or_insert_with(clock::unix_millis)
    }

    pub(super) fn uuid(&mut self) -> [u8; 36] {
        let rng = &mut *self.rng;
        *self.uuid.get_or_insert_with(|| {
            // The VU's generator follows the seed (a run is repeatable), but ids must not
            // repeat across runs: the same seed against the same target would replay every
            // idempotency key of the run before. The run's nonce keeps them apart.
            let bytes = (rng.random::<u128>() ^ self.nonce.0).to_le_bytes();
            let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
            let mut out = [0u8; 36];
            id.hyphenated().encode_lower(&mut out);
            out
        })
    }
}

/// Random bits drawn once per run, mixed into every `{{uuid}}`. Session factories draw one
/// when they are built, and a plan is built for every run, so a long-lived process (a worker
/// serving one coordinator session after another) never repeats the keys of its last run,
/// even with the same seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunNonce(pub(super) u128);

impl RunNonce {
    /// Fresh random bits.
    pub fn fresh() -> Self {
        RunNonce(rand::rng().random())
    }

    /// No bits: for renders that only check a template (nothing is sent).
    pub const CHECK: RunNonce = RunNonce(0);
}
