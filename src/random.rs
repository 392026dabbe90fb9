//! Random strings for secrets and one-time tokens: one helper, so every token is drawn the same way
//! (the thread-local CSPRNG, ChaCha-based and seeded from the OS) and its strength is stated once.

use rand::{Rng, distributions::Alphanumeric};

/// `len` characters from `[A-Za-z0-9]`: about 5.95 bits each (48 give ~285 bits, 64 give ~380).
pub fn alphanumeric(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn has_the_length_and_alphabet_and_differs() {
        let a = super::alphanumeric(48);
        assert_eq!(a.len(), 48);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, super::alphanumeric(48));
        assert_eq!(super::alphanumeric(0), "");
    }
}
