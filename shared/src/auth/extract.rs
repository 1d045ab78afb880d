//! Axum extractors per role: 401 without a valid token, 403 with the wrong role or tenant.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::jwt::{Claims, Role, TokenCheck};
use super::revocation::Revocations;
use super::scope::Scope;
use crate::domain::{AccountId, PartnerId, PlatformId};
use crate::error::Error;

/// Any valid token.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Claims);

impl<S> FromRequestParts<S> for Authenticated
where
    TokenCheck: FromRef<S>,
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
        TokenCheck::from_ref(state)
            .claims(token.trim())
            .map(Authenticated)
            .map_err(|_| Error::Unauthorized("Die Anmeldung ist ungültig oder abgelaufen.".into()))
    }
}

/// The one answer to a token whose role may not use a route.
fn wrong_role() -> Error {
    Error::Forbidden("Diese Funktion steht Ihrer Rolle nicht zur Verfügung.".into())
}

async fn with_role<S>(parts: &mut Parts, state: &S, roles: &[Role]) -> Result<Claims, Error>
where
    TokenCheck: FromRef<S>,
    S: Send + Sync,
{
    let Authenticated(claims) = Authenticated::from_request_parts(parts, state).await?;
    // A platform role is only ever granted by a platform-wide login.
    let scope_ok = claims.scope.admits(claims.role);
    if scope_ok && roles.contains(&claims.role) {
        Ok(claims)
    } else {
        Err(wrong_role())
    }
}

/// A partner acting for its own tenant.
#[derive(Debug, Clone)]
pub struct PartnerAuth {
    pub partner_id: PartnerId,
    pub claims: Claims,
}

impl PartnerAuth {
    /// The partner a token of the partner role names, without asking whether the account
    /// was closed since (closing answers its own retry); every other route takes the
    /// extractor, which asks.
    pub fn of(claims: Claims) -> Result<Self, Error> {
        if claims.role != Role::Partner || !claims.scope.admits(claims.role) {
            return Err(wrong_role());
        }
        let partner_id = claims
            .tenant
            .clone()
            .map(PartnerId::from_raw)
            .ok_or_else(|| Error::Forbidden("Das Token nennt keinen Partner.".into()))?;
        Ok(Self { partner_id, claims })
    }
}

/// Also checks, with one read, that the partner did not close its account since the token
/// was issued ([`super::revocation`]).
impl<S> FromRequestParts<S> for PartnerAuth
where
    TokenCheck: FromRef<S>,
    Revocations: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let claims = with_role(parts, state, &[Role::Partner]).await?;
        let auth = Self::of(claims)?;
        Revocations::from_ref(state).check(&auth.claims).await?;
        Ok(auth)
    }
}

/// A platform manager, or the operator, who may act for every platform.
#[derive(Debug, Clone)]
pub struct ManagerAuth(pub Claims);

impl ManagerAuth {
    /// 403 unless the caller manages this platform.
    pub fn ensure_platform(&self, platform_id: &PlatformId) -> Result<(), Error> {
        if self.0.role == Role::Operator
            || self.0.platforms.iter().any(|p| p == platform_id.as_str())
        {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "Sie verwalten diese Plattform nicht.".into(),
            ))
        }
    }
}

/// A manager's token is also checked, with one read, against a revocation written since it
/// was issued ([`super::revocation`]): removed from a platform by the operator.
impl<S> FromRequestParts<S> for ManagerAuth
where
    TokenCheck: FromRef<S>,
    Revocations: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let claims = with_role(parts, state, &[Role::Manager, Role::Operator]).await?;
        if claims.role == Role::Manager {
            Revocations::from_ref(state).check(&claims).await?;
        }
        Ok(ManagerAuth(claims))
    }
}

/// The platform operator.
#[derive(Debug, Clone)]
pub struct OperatorAuth(pub Claims);

impl<S> FromRequestParts<S> for OperatorAuth
where
    TokenCheck: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        with_role(parts, state, &[Role::Operator])
            .await
            .map(OperatorAuth)
    }
}

/// An account that logged in within a tenant scope (terminal user, cardholder, a supplier's
/// customer, an end user). Functions check the kind with [`TenantAuth::require`].
#[derive(Debug, Clone)]
pub struct TenantAuth {
    pub account_id: AccountId,
    pub scope: Scope,
    pub claims: Claims,
}

impl TenantAuth {
    /// 403 unless the token is of this role.
    pub fn require(&self, role: Role) -> Result<(), Error> {
        if self.claims.role == role {
            Ok(())
        } else {
            Err(wrong_role())
        }
    }
}

/// Also checks, with one read, that the account was not disabled or deleted since the token
/// was issued ([`super::revocation`]).
impl<S> FromRequestParts<S> for TenantAuth
where
    TokenCheck: FromRef<S>,
    Revocations: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let claims = with_role(
            parts,
            state,
            &[Role::Pos, Role::Cardholder, Role::Customer, Role::EndUser],
        )
        .await?;
        Revocations::from_ref(state).check(&claims).await?;
        Ok(Self {
            account_id: AccountId::from_raw(claims.sub.clone()),
            scope: claims.scope.clone(),
            claims,
        })
    }
}
