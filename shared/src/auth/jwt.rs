use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::scope::Scope;
use crate::clock::SharedClock;

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

/// Verifies signature, algorithm, issuer and audience; expiry is judged against a time the
/// caller passes in (the state's clock, see [`TokenCheck`]), never the system's.
#[derive(Clone)]
pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
    verified: Arc<Mutex<HashMap<[u8; 32], Claims>>>,
}

/// Bounds the tokens a warm sandbox remembers (a few hundred bytes each).
const MAX_VERIFIED: usize = 1024;

/// Seconds a token stays valid past its `exp`, for clocks a little apart.
const LEEWAY_SECS: i64 = 5;

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
        // jsonwebtoken would judge `exp` by the system clock; `verify` judges it by `now`.
        validation.validate_exp = false;
        Ok(Self {
            key: DecodingKey::from_ed_pem(public_pem.as_bytes())?,
            validation,
            verified: Arc::default(),
        })
    }

    /// The token's claims if its signature, issuer and audience hold and it has not expired
    /// at `now` (epoch seconds).
    ///
    /// A till or a browser sends the same token with every request for 15 minutes, and
    /// checking its Ed25519 signature is most of a short request's CPU: a token whose
    /// signature was checked once is remembered by its SHA-256 (so no comparison ever runs
    /// over a secret's bytes) and only its expiry is checked again.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, jsonwebtoken::errors::Error> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let remembered = self
            .verified
            .lock()
            .ok()
            .and_then(|verified| verified.get(&digest).cloned());
        let claims = match remembered {
            Some(claims) => claims,
            None => {
                let claims =
                    jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)?.claims;
                self.remember(digest, &claims, now);
                claims
            }
        };
        if unexpired(&claims, now) {
            Ok(claims)
        } else {
            Err(jsonwebtoken::errors::ErrorKind::ExpiredSignature.into())
        }
    }

    fn remember(&self, digest: [u8; 32], claims: &Claims, now: i64) {
        if let Ok(mut verified) = self.verified.lock() {
            if verified.len() >= MAX_VERIFIED {
                verified.retain(|_, c| unexpired(c, now));
                if verified.len() >= MAX_VERIFIED {
                    verified.clear();
                }
            }
            verified.insert(digest, claims.clone());
        }
    }
}

/// Valid while `exp` plus the leeway has not passed.
fn unexpired(claims: &Claims, now: i64) -> bool {
    claims.exp.saturating_add(LEEWAY_SECS) >= now
}

/// What a request's token is checked with: the verifier and the clock of the state that
/// serves it, so a token issued "now" by that clock is valid by the same clock.
#[derive(Clone)]
pub struct TokenCheck {
    verifier: Arc<JwtVerifier>,
    clock: SharedClock,
}

impl std::fmt::Debug for TokenCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCheck")
    }
}

impl TokenCheck {
    pub fn new(verifier: Arc<JwtVerifier>, clock: SharedClock) -> Self {
        Self { verifier, clock }
    }

    /// The token's claims if it is genuine and unexpired now, by the clock.
    pub fn claims(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        self.verifier.verify(token, self.clock.epoch())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::generate_ed25519_pems;
    use crate::clock::FixedClock;

    /// 2026-12-01T01:00:00Z: tests never read the system clock.
    const NOW: i64 = 1_796_086_800;

    #[test]
    fn issued_tokens_verify_and_carry_claims() -> Result<(), Box<dyn std::error::Error>> {
        let pems = generate_ed25519_pems()?;
        let issuer = JwtIssuer::from_pem(&pems.private_pem)?;
        let verifier = JwtVerifier::from_pem(&pems.public_pem)?;
        let token = issuer.issue("u1", Role::Manager, None, vec!["p1".into()], NOW)?;
        let claims = verifier.verify(&token, NOW)?;
        assert_eq!(claims.role, Role::Manager);
        assert_eq!(claims.platforms, ["p1"]);
        assert_eq!(claims.exp - claims.iat, 900);
        Ok(())
    }

    #[test]
    fn a_token_lives_fifteen_minutes_by_the_clock_that_issued_it_whatever_the_system_date()
    -> Result<(), Box<dyn std::error::Error>> {
        let pems = generate_ed25519_pems()?;
        let issuer = JwtIssuer::from_pem(&pems.private_pem)?;
        let verifier = Arc::new(JwtVerifier::from_pem(&pems.public_pem)?);
        // Years before and after any plausible system date.
        for issued in ["2019-03-31T00:30:00Z", "2041-10-27T02:30:00Z"] {
            let at: jiff::Timestamp = issued.parse()?;
            let clock = Arc::new(FixedClock::at(at));
            let check = TokenCheck::new(verifier.clone(), clock.clone());
            let token = issuer.issue("u1", Role::Pos, Some("t".into()), vec![], at.as_second())?;
            assert_eq!(
                check.claims(&token)?.sub,
                "u1",
                "valid when issued ({issued})"
            );
            clock.advance(jiff::SignedDuration::from_secs(
                TOKEN_LIFETIME_SECS + LEEWAY_SECS,
            ));
            assert!(
                check.claims(&token).is_ok(),
                "valid to the last second ({issued})"
            );
            clock.advance(jiff::SignedDuration::from_secs(1));
            assert!(check.claims(&token).is_err(), "expired after ({issued})");
        }
        Ok(())
    }

    #[test]
    fn a_remembered_token_is_still_checked_for_expiry_and_others_for_their_signature()
    -> Result<(), Box<dyn std::error::Error>> {
        let pems = generate_ed25519_pems()?;
        let issuer = JwtIssuer::from_pem(&pems.private_pem)?;
        let verifier = JwtVerifier::from_pem(&pems.public_pem)?;
        let token = issuer.issue("u1", Role::Pos, Some("t".into()), vec![], NOW)?;
        let first = verifier.verify(&token, NOW)?;
        assert_eq!(verifier.verify(&token, NOW)?, first);
        // The same claims under a signature of one changed byte: checked, refused.
        let mut tampered = token.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(verifier.verify(&String::from_utf8(tampered)?, NOW).is_err());
        // The remembered token past its expiry and leeway.
        let after = first.exp + LEEWAY_SECS;
        assert!(verifier.verify(&token, after).is_ok(), "within the leeway");
        assert!(
            verifier.verify(&token, after + 1).is_err(),
            "past the leeway"
        );
        Ok(())
    }

    #[test]
    fn expired_forged_and_foreign_tokens_fail() -> Result<(), Box<dyn std::error::Error>> {
        let pems = generate_ed25519_pems()?;
        let other = generate_ed25519_pems()?;
        let issuer = JwtIssuer::from_pem(&pems.private_pem)?;
        let verifier = JwtVerifier::from_pem(&pems.public_pem)?;
        let expired = issuer.issue("u1", Role::Partner, Some("t".into()), vec![], NOW - 3600)?;
        assert!(verifier.verify(&expired, NOW).is_err(), "expired");
        let forged = JwtIssuer::from_pem(&other.private_pem)?.issue(
            "u1",
            Role::Operator,
            None,
            vec![],
            NOW,
        )?;
        assert!(
            verifier.verify(&forged, NOW).is_err(),
            "signed by another key"
        );
        let claims = Claims {
            sub: "u1".into(),
            role: Role::Operator,
            tenant: None,
            platforms: vec![],
            scope: Scope::Platform,
            iss: ISSUER.into(),
            aud: "another-api".into(),
            exp: NOW + 60,
            iat: NOW,
        };
        let foreign = jsonwebtoken::encode(
            &Header::new(Algorithm::EdDSA),
            &claims,
            &EncodingKey::from_ed_pem(pems.private_pem.as_bytes())?,
        )?;
        assert!(verifier.verify(&foreign, NOW).is_err(), "wrong audience");
        Ok(())
    }
}
