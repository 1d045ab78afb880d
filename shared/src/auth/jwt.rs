use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::scope::Scope;

pub const ISSUER: &str = "partnernetz";
pub const AUDIENCE: &str = "partnernetz-api";
pub const TOKEN_LIFETIME_SECS: i64 = 15 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Operator,
    Manager,
    Partner,
    Pos,
    Cardholder,
    Customer,
    #[serde(rename = "enduser")]
    EndUser,
}

impl Role {
    /// Every role, for checks that must cover all of them (the access matrix).
    pub const ALL: [Role; 7] = [
        Role::Operator,
        Role::Manager,
        Role::Partner,
        Role::Pos,
        Role::Cardholder,
        Role::Customer,
        Role::EndUser,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Manager => "manager",
            Role::Partner => "partner",
            Role::Pos => "pos",
            Role::Cardholder => "cardholder",
            Role::Customer => "customer",
            Role::EndUser => "enduser",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    /// The partner (merchant) the subject acts for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Platforms a manager manages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// Where the subject logged in: `platform`, or a tenant scope such as `pos:<partner>`.
    pub scope: Scope,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("invalid Ed25519 key PEM: {0}")]
    Pem(#[from] jsonwebtoken::errors::Error),
}

/// Signs tokens; only the registration function holds the private key.
#[derive(Clone)]
pub struct JwtIssuer {
    key: EncodingKey,
    header: Header,
}

impl std::fmt::Debug for JwtIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtIssuer(***)")
    }
}

impl JwtIssuer {
    pub fn from_pem(private_pem: &str) -> Result<Self, KeyError> {
        Ok(Self {
            key: EncodingKey::from_ed_pem(private_pem.as_bytes())?,
            header: Header::new(Algorithm::EdDSA),
        })
    }

    /// Issues a platform-scoped token valid for 15 minutes from `now` (epoch seconds).
    pub fn issue(
        &self,
        sub: &str,
        role: Role,
        tenant: Option<String>,
        platforms: Vec<String>,
        now: i64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        self.issue_scoped(sub, role, tenant, platforms, Scope::Platform, now)
    }

    /// Issues a token for a login within `scope`.
    pub fn issue_scoped(
        &self,
        sub: &str,
        role: Role,
        tenant: Option<String>,
        platforms: Vec<String>,
        scope: Scope,
        now: i64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = Claims {
            sub: sub.to_string(),
            role,
            tenant,
            platforms,
            scope,
            iss: ISSUER.to_string(),
            aud: AUDIENCE.to_string(),
            exp: now + TOKEN_LIFETIME_SECS,
            iat: now,
        };
        jsonwebtoken::encode(&self.header, &claims, &self.key)
    }
}

/// Verifies signature, algorithm, issuer, audience and expiry.
#[derive(Clone)]
pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
    verified: Arc<Mutex<HashMap<[u8; 32], Claims>>>,
}

/// Bounds the tokens a warm sandbox remembers (a few hundred bytes each).
const MAX_VERIFIED: usize = 1024;

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtVerifier")
    }
}

impl JwtVerifier {
    pub fn from_pem(public_pem: &str) -> Result<Self, KeyError> {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Ok(Self {
            key: DecodingKey::from_ed_pem(public_pem.as_bytes())?,
            validation,
            verified: Arc::default(),
        })
    }

    /// The token's claims if its signature, issuer, audience and expiry hold.
    ///
    /// A till or a browser sends the same token with every request for 15 minutes, and
    /// checking its Ed25519 signature is most of a short request's CPU: a token whose
    /// signature was checked once is remembered by its SHA-256 (so no comparison ever runs
    /// over a secret's bytes) and only its expiry is checked again.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = jsonwebtoken::get_current_timestamp();
        if let Ok(verified) = self.verified.lock()
            && let Some(claims) = verified.get(&digest)
        {
            return if self.unexpired(claims, now) {
                Ok(claims.clone())
            } else {
                Err(jsonwebtoken::errors::ErrorKind::ExpiredSignature.into())
            };
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)?.claims;
        if let Ok(mut verified) = self.verified.lock() {
            if verified.len() >= MAX_VERIFIED {
                verified.retain(|_, c| self.unexpired(c, now));
                if verified.len() >= MAX_VERIFIED {
                    verified.clear();
                }
            }
            verified.insert(digest, claims.clone());
        }
        Ok(claims)
    }

    /// jsonwebtoken's own expiry rule: valid while `exp` plus the leeway has not passed.
    fn unexpired(&self, claims: &Claims, now: u64) -> bool {
        u64::try_from(claims.exp).is_ok_and(|exp| exp.saturating_add(self.validation.leeway) >= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::generate_ed25519_pems;

    fn now() -> i64 {
        jiff::Timestamp::now().as_second()
    }

    #[test]
    fn issued_tokens_verify_and_carry_claims() -> Result<(), Box<dyn std::error::Error>> {
        let pems = generate_ed25519_pems()?;
        let issuer = JwtIssuer::from_pem(&pems.private_pem)?;
        let verifier = JwtVerifier::from_pem(&pems.public_pem)?;
        let token = issuer.issue("u1", Role::Manager, None, vec!["p1".into()], now())?;
        let claims = verifier.verify(&token)?;
        assert_eq!(claims.role, Role::Manager);
        assert_eq!(claims.platforms, ["p1"]);
        assert_eq!(claims.exp - claims.iat, 900);
        Ok(())
    }

    #[test]
    fn a_remembered_token_is_still_checked_for_expiry_and_others_for_their_signature()
    -> Result<(), Box<dyn std::error::Error>> {
        let pems = generate_ed25519_pems()?;
        let issuer = JwtIssuer::from_pem(&pems.private_pem)?;
        let verifier = JwtVerifier::from_pem(&pems.public_pem)?;
        let token = issuer.issue("u1", Role::Pos, Some("t".into()), vec![], now())?;
        let first = verifier.verify(&token)?;
        assert_eq!(verifier.verify(&token)?, first);
        // The same claims under a signature of one changed byte: checked, refused.
        let mut tampered = token.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(verifier.verify(&String::from_utf8(tampered)?).is_err());
        let stamp = jsonwebtoken::get_current_timestamp();
        let mut claims = first.clone();
        claims.exp = i64::try_from(stamp)? - 5;
        assert!(verifier.unexpired(&claims, stamp), "within the leeway");
        claims.exp -= 1;
        assert!(!verifier.unexpired(&claims, stamp), "past the leeway");
        Ok(())
    }

    #[test]
    fn expired_forged_and_foreign_tokens_fail() -> Result<(), Box<dyn std::error::Error>> {
        let pems = generate_ed25519_pems()?;
        let other = generate_ed25519_pems()?;
        let issuer = JwtIssuer::from_pem(&pems.private_pem)?;
        let verifier = JwtVerifier::from_pem(&pems.public_pem)?;
        let expired = issuer.issue("u1", Role::Partner, Some("t".into()), vec![], now() - 3600)?;
        assert!(verifier.verify(&expired).is_err(), "expired");
        let forged = JwtIssuer::from_pem(&other.private_pem)?.issue(
            "u1",
            Role::Operator,
            None,
            vec![],
            now(),
        )?;
        assert!(verifier.verify(&forged).is_err(), "signed by another key");
        let claims = Claims {
            sub: "u1".into(),
            role: Role::Operator,
            tenant: None,
            platforms: vec![],
            scope: Scope::Platform,
            iss: ISSUER.into(),
            aud: "another-api".into(),
            exp: now() + 60,
            iat: now(),
        };
        let foreign = jsonwebtoken::encode(
            &Header::new(Algorithm::EdDSA),
            &claims,
            &EncodingKey::from_ed_pem(pems.private_pem.as_bytes())?,
        )?;
        assert!(verifier.verify(&foreign).is_err(), "wrong audience");
        Ok(())
    }
}
