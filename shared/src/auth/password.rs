use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// argon2id with the OWASP minimum: 19 MiB, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    // These constants are within argon2's documented bounds, so `new` cannot fail.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A PHC string (algorithm, parameters, salt and hash) for storage.
pub fn hash_password(password: &str) -> Result<String, crate::Error> {
    // A span per hash: the log shows what a request spent on hashing, and tests count hashes
    // to prove that paths which must cost the same do.
    let _span = tracing::debug_span!("hash_password").entered();
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(crate::Error::internal)
}

/// Compares in constant time (argon2's verifier does).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| argon2().verify_password(password.as_bytes(), &hash).is_ok())
        .unwrap_or(false)
}

/// A hash of a random password: login verifies against it for unknown e-mails, so both
/// cases take the same time.
pub fn dummy_hash() -> &'static str {
    use std::sync::OnceLock;
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&crate::crypto::random_token()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_the_right_password() -> Result<(), crate::Error> {
        let hash = hash_password("richtig-lang-genug")?;
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("richtig-lang-genug", &hash));
        assert!(!verify_password("falsch-lang-genug", &hash));
        assert!(!verify_password("x", "not a hash"));
        Ok(())
    }
}
