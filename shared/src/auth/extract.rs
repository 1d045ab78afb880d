//! Axum extractors per role: 401 without a valid token, 403 with the wrong role or tenant.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::jwt::{Claims, JwtVerifier, Role};
use crate::error::Error;

/// Any valid token.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Claims);

impl<S> FromRequestParts<S> for Authenticated
where
    Arc<JwtVerifier>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Error::Unauthorized("Bitte melden Sie sich an.".into()))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or_else(|| Error::Unauthorized("Erwartet wird ein Bearer-Token.".into()))?;
        let verifier = Arc::<JwtVerifier>::from_ref(state);
        verifier
            .verify(token.trim())
            .map(Authenticated)
            .map_err(|_| Error::Unauthorized("Die Anmeldung ist ungültig oder abgelaufen.".into()))
    }
}

async fn with_role<S>(parts: &mut Parts, state: &S, roles: &[Role]) -> Result<Claims, Error>
where
    Arc<JwtVerifier>: FromRef<S>,
    S: Send + Sync,
{
    let Authenticated(claims) = Authenticated::from_request_parts(parts, state).await?;
    if roles.contains(&claims.role) {
        Ok(claims)
    } else {
        Err(Error::Forbidden(
            "Diese Funktion steht Ihrer Rolle nicht zur Verfügung.".into(),
        ))
    }
}

/// A partner acting for its own tenant.
#[derive(Debug, Clone)]
pub struct PartnerAuth {
    pub partner_id: String,
    pub claims: Claims,
}

impl<S> FromRequestParts<S> for PartnerAuth
where
    Arc<JwtVerifier>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let claims = with_role(parts, state, &[Role::Partner]).await?;
        let partner_id = claims
            .tenant
            .clone()
            .ok_or_else(|| Error::Forbidden("Das Token nennt keinen Partner.".into()))?;
        Ok(Self { partner_id, claims })
    }
}

/// A platform manager, or the operator, who may act for every platform.
#[derive(Debug, Clone)]
pub struct ManagerAuth(pub Claims);

impl ManagerAuth {
    /// 403 unless the caller manages this platform.
    pub fn ensure_platform(&self, platform_id: &str) -> Result<(), Error> {
        if self.0.role == Role::Operator || self.0.platforms.iter().any(|p| p == platform_id) {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "Sie verwalten diese Plattform nicht.".into(),
            ))
        }
    }
}

impl<S> FromRequestParts<S> for ManagerAuth
where
    Arc<JwtVerifier>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        with_role(parts, state, &[Role::Manager, Role::Operator])
            .await
            .map(ManagerAuth)
    }
}

/// The platform operator.
#[derive(Debug, Clone)]
pub struct OperatorAuth(pub Claims);

impl<S> FromRequestParts<S> for OperatorAuth
where
    Arc<JwtVerifier>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        with_role(parts, state, &[Role::Operator])
            .await
            .map(OperatorAuth)
    }
}
