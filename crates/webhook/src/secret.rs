//! A signing secret that never shows itself: `Debug` and `Display` print `***`.

use std::fmt;

/// Bytes of a signing secret as the scenario gave them (`whsec_…`, a GitHub secret, …).
///
/// The only way to the bytes is [`Secret::expose`], used by the signer to key its MAC.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Box<str>);

impl Secret {
    /// Wraps `text`.
    pub fn new(text: impl Into<String>) -> Self {
        Secret(text.into().into_boxed_str())
    }

    /// The secret's text, for keying a MAC. Never format it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_formats_its_bytes() {
        let s = Secret::new("whsec_topsecret");
        assert_eq!(format!("{s:?} {s} {:?}", Some(&s)), "*** *** Some(***)");
        assert_eq!(s.expose(), "whsec_topsecret");
    }
}
