//! The control token: 128 random bits from the OS-seeded CSPRNG, shown as 32 hex digits and
//! compared in constant time.

use rand::Rng;
use subtle::ConstantTimeEq;

/// A secret that allows changing the run. `Debug` never prints it.
#[derive(Clone)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

impl Token {
    /// A new random token.
    pub fn random() -> Token {
        let bits: u128 = rand::rng().random();
        Token(hex::encode(bits.to_be_bytes()))
    }

    /// The token's text (for the printed URL only).
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// Whether `given` is this token; the time taken does not depend on where they differ.
    pub fn matches(&self, given: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), given.as_bytes());
        a.len() == b.len() && bool::from(a.ct_eq(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_128_random_bits_and_match_only_themselves() {
        let (a, b) = (Token::random(), Token::random());
        assert_eq!(a.reveal().len(), 32);
        assert_ne!(a.reveal(), b.reveal());
        assert!(a.matches(a.reveal()));
        assert!(!a.matches(b.reveal()));
        assert!(!a.matches(""));
        assert!(!a.matches(&a.reveal()[..31]));
        assert_eq!(format!("{a:?}"), "Token(***)");
    }
}
