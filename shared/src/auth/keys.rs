use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// An Ed25519 key pair as PEM (PKCS#8 private key, SPKI public key), as
/// `openssl genpkey -algorithm ed25519` writes them.
#[derive(Clone)]
pub struct Ed25519Pems {
    pub private_pem: String,
    pub public_pem: String,
}

impl std::fmt::Debug for Ed25519Pems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ed25519Pems(***)")
    }
}

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), followed by the 32-byte key.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[derive(Debug, thiserror::Error)]
#[error("could not generate an Ed25519 key")]
pub struct KeyGenError;

/// A fresh key pair, for local runs and tests.
pub fn generate_ed25519_pems() -> Result<Ed25519Pems, KeyGenError> {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
    let rng = SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8v1(&rng).map_err(|_| KeyGenError)?;
    let pair =
        Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8.as_ref()).map_err(|_| KeyGenError)?;
    let mut spki = SPKI_PREFIX.to_vec();
    spki.extend_from_slice(pair.public_key().as_ref());
    Ok(Ed25519Pems {
        private_pem: pem("PRIVATE KEY", pkcs8.as_ref()),
        public_pem: pem("PUBLIC KEY", &spki),
    })
}
