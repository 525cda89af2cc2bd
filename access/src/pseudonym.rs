//! Stable pseudonyms for protected persons: a keyed code per person, so redacted rows
//! stay distinguishable while no one without the key can tell which id a code stands for.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Crockford's base-32 alphabet: no I, L, O or U to misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters of a code: 32^6 codes, so two persons of one case practically never share one.
const CODE_CHARS: usize = 6;

/// Makes the pseudonym of a protected person.
#[derive(Clone)]
pub struct Pseudonyms {
    key: Vec<u8>,
}

impl std::fmt::Debug for Pseudonyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonyms(..)")
    }
}

impl Pseudonyms {
    /// Pseudonyms keyed by a secret derived from `secret` (the audit key): stable across
    /// restarts and replicas that share it.
    pub fn derived_from(secret: &[u8]) -> Self {
        let mut m = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
        m.update(b"toex protected-person pseudonyms v1");
        Self {
            key: m.finalize().into_bytes().to_vec(),
        }
    }

    /// Pseudonyms under a fresh random key: stable for this process only.
    pub fn ephemeral() -> Self {
        Self::derived_from(crate::random_hex(32).as_bytes())
    }

    /// "Protected person 7QK2MX": the same for the same person (force and id) every time.
    pub fn of(&self, force: &str, id: &str) -> String {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        m.update(force.as_bytes());
        m.update(&[0]);
        m.update(id.as_bytes());
        let digest = m.finalize().into_bytes();
        let mut bits = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
        let mut code = String::with_capacity(CODE_CHARS);
        for _ in 0..CODE_CHARS {
            code.push(ALPHABET[(bits >> 59) as usize] as char);
            bits <<= 5;
        }
        format!("Protected person {code}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pseudonym_is_stable_per_key_and_differs_between_persons_and_keys() {
        let a = Pseudonyms::derived_from(b"0123456789abcdef0123456789abcdef");
        let b = Pseudonyms::derived_from(b"fedcba9876543210fedcba9876543210");
        assert_eq!(a.of("WYP", "P1"), a.of("WYP", "P1"));
        assert_ne!(a.of("WYP", "P1"), a.of("WYP", "P2"));
        assert_ne!(a.of("WYP", "P1"), b.of("WYP", "P1"));
        assert!(a.of("WYP", "P1").starts_with("Protected person "));
        assert_eq!(
            a.of("WYP", "P1").len(),
            "Protected person ".len() + CODE_CHARS
        );
    }
}
