use std::sync::Mutex;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// argon2id with the OWASP minimum: 19 MiB, 2 passes, 1 lane.
const PARAMS: Params = Params::DEFAULT;
const ALGORITHM: Algorithm = Algorithm::Argon2id;
const VERSION: Version = Version::V0x13;
const SALT_LEN: usize = Salt::RECOMMENDED_LENGTH;
const HASH_LEN: usize = Params::DEFAULT_OUTPUT_LEN;

/// argon2's 19 MiB of working memory, allocated by the first hash and kept for the next.
///
/// Left to argon2, every hash allocates and frees its own 19 MiB, and how much of that stays
/// resident is up to the allocator: a warm function was seen holding two blocks (49.7 MB
/// after 100 logins, against one block's 32.7 MB before). Kept, it is one block, always.
static WORKING_MEMORY: Mutex<Vec<Block>> = Mutex::new(Vec::new());

/// Runs `hash` on `block_count` blocks of the kept memory, or on fresh memory while another
/// thread hashes (local-api serves requests in parallel; a Lambda hashes one at a time).
fn with_working_memory<R>(block_count: usize, hash: impl FnOnce(&mut [Block]) -> R) -> R {
    let kept = WORKING_MEMORY.try_lock().ok();
    match kept {
        // Hashes stored with larger parameters do not grow what every later hash keeps.
        Some(mut blocks) if block_count <= PARAMS.block_count() => {
            if blocks.len() < block_count {
                blocks.resize(block_count, Block::default());
            }
            hash(&mut blocks[..block_count])
        }
        _ => hash(&mut vec![Block::default(); block_count]),
    }
}

/// A PHC string (algorithm, parameters, salt and hash) for storage.
pub fn hash_password(password: &str) -> Result<String, crate::Error> {
    // A span per hash: the log shows what a request spent on hashing, and tests count hashes
    // to prove that paths which must cost the same do.
    let _span = tracing::debug_span!("hash_password").entered();
    let mut salt = [0u8; SALT_LEN];
    OsRng.fill_bytes(&mut salt);
    let mut hash = [0u8; HASH_LEN];
    with_working_memory(PARAMS.block_count(), |memory| {
        Argon2::new(ALGORITHM, VERSION, PARAMS).hash_password_into_with_memory(
            password.as_bytes(),
            &salt,
            &mut hash,
            memory,
        )
    })
    .map_err(crate::Error::internal)?;
    let salt = SaltString::encode_b64(&salt).map_err(crate::Error::internal)?;
    let phc = PasswordHash {
        algorithm: ALGORITHM.ident(),
        version: Some(VERSION.into()),
        params: ParamsString::try_from(&PARAMS).map_err(crate::Error::internal)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&hash).map_err(crate::Error::internal)?),
    };
    Ok(phc.to_string())
}

/// Recomputes the hash with the stored algorithm, parameters and salt; compares in constant
/// time (`Output`'s equality is).
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(stored) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (stored.hash, stored.salt) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(stored.algorithm) else {
        return false;
    };
    let Ok(version) = stored.version.map_or(Ok(VERSION), Version::try_from) else {
        return false;
    };
    let Ok(params) = Params::try_from(&stored) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut computed = [0u8; Output::MAX_LENGTH];
    let Some(computed) = computed.get_mut(..expected.len()) else {
        return false;
    };
    with_working_memory(params.block_count(), |memory| {
        Argon2::new(algorithm, version, params.clone()).hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            computed,
            memory,
        )
    })
    .is_ok()
        && Output::new(computed).is_ok_and(|computed| computed == expected)
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
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn hashes_verify_only_the_right_password() -> Result<(), crate::Error> {
        let hash = hash_password("richtig-lang-genug")?;
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("richtig-lang-genug", &hash));
        assert!(!verify_password("falsch-lang-genug", &hash));
        assert!(!verify_password("x", "not a hash"));
        Ok(())
    }

    /// Hashes stored before the kept working memory, and any argon2 implementation's, still
    /// verify; and argon2's own verifier accepts ours.
    #[test]
    fn hashes_agree_with_the_argon2_crates_own_hasher() -> Result<(), crate::Error> {
        let theirs = Argon2::new(ALGORITHM, VERSION, PARAMS)
            .hash_password(b"richtig-lang-genug", &SaltString::generate(&mut OsRng))
            .map_err(crate::Error::internal)?
            .to_string();
        assert!(verify_password("richtig-lang-genug", &theirs));
        assert!(!verify_password("falsch-lang-genug", &theirs));

        let ours = hash_password("richtig-lang-genug")?;
        let parsed = PasswordHash::new(&ours).map_err(crate::Error::internal)?;
        assert!(
            Argon2::default()
                .verify_password(b"richtig-lang-genug", &parsed)
                .is_ok()
        );
        Ok(())
    }

    /// A hash with other parameters (a smaller memory cost here) verifies with them, and a
    /// truncated or tampered one does not.
    #[test]
    fn other_parameters_verify_and_tampered_hashes_do_not() -> Result<(), crate::Error> {
        let params = Params::new(64, 1, 1, None).map_err(crate::Error::internal)?;
        let small = Argon2::new(ALGORITHM, VERSION, params)
            .hash_password(b"richtig-lang-genug", &SaltString::generate(&mut OsRng))
            .map_err(crate::Error::internal)?
            .to_string();
        assert!(small.contains("m=64,t=1,p=1"));
        assert!(verify_password("richtig-lang-genug", &small));

        let ours = hash_password("richtig-lang-genug")?;
        let (head, last) = ours
            .rsplit_once('$')
            .expect("a PHC string ends in its hash");
        assert!(!verify_password("richtig-lang-genug", head));
        let flipped = if last.starts_with('A') { "B" } else { "A" };
        let tampered = format!("{head}${flipped}{}", &last[1..]);
        assert!(!verify_password("richtig-lang-genug", &tampered));
        Ok(())
    }

    /// Parallel hashes (local-api) each get memory of their own and all verify.
    #[test]
    fn parallel_hashes_all_verify() {
        let hashes: Vec<_> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..3)
                .map(|i| scope.spawn(move || (i, hash_password(&format!("passwort-{i}-lang")))))
                .collect();
            workers.into_iter().filter_map(|w| w.join().ok()).collect()
        });
        assert_eq!(hashes.len(), 3);
        for (i, hash) in hashes {
            let Ok(hash) = hash else {
                panic!("hash {i} failed");
            };
            assert!(verify_password(&format!("passwort-{i}-lang"), &hash));
        }
    }
}
