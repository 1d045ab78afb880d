//! Scopes (docs/architecture.md §6): operators, managers and partners log in platform-wide; every
//! other account kind logs in within its tenant, so one e-mail address can be a cardholder
//! at two merchants without the accounts meeting.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::jwt::Role;
use crate::domain::{PartnerId, PlatformId};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Scope {
    /// Operators, managers and partners, by e-mail.
    Platform,
    /// A merchant's terminal user, by username.
    Pos(PartnerId),
    /// A merchant's card customer.
    Cardholder(PartnerId),
    /// A supplier's customer (digital customer account), by e-mail or username.
    Customer(PartnerId),
    /// An end user of a bank platform (referrals, wallet).
    EndUser(PlatformId),
}

pub const PLATFORM_SCOPE: &str = "platform";

impl Scope {
    /// The kind as the API names it (`scope` in a login request).
    pub fn kind(&self) -> &'static str {
        match self {
            Scope::Platform => PLATFORM_SCOPE,
            Scope::Pos(_) => "pos",
            Scope::Cardholder(_) => "cardholder",
            Scope::Customer(_) => "customer",
            Scope::EndUser(_) => "enduser",
        }
    }

    /// Builds a scope from its kind and tenant (a partner id, or a platform id for end users).
    pub fn from_parts(kind: &str, tenant: Option<&str>) -> Result<Self, &'static str> {
        let tenant = tenant.map(str::trim).filter(|t| !t.is_empty());
        match (kind, tenant) {
            (PLATFORM_SCOPE, None) => Ok(Scope::Platform),
            (PLATFORM_SCOPE, Some(_)) => Err("die Plattform-Anmeldung hat keinen Mandanten"),
            ("pos", Some(t)) => Ok(Scope::Pos(PartnerId::from_raw(t))),
            ("cardholder", Some(t)) => Ok(Scope::Cardholder(PartnerId::from_raw(t))),
            ("customer", Some(t)) => Ok(Scope::Customer(PartnerId::from_raw(t))),
            ("enduser", Some(t)) => Ok(Scope::EndUser(PlatformId::from_raw(t))),
            ("pos" | "cardholder" | "customer" | "enduser", None) => {
                Err("braucht einen Mandanten (tenant)")
            }
            _ => Err("muss platform, pos, cardholder, customer oder enduser sein"),
        }
    }

    /// The tenant id the scope belongs to, if any.
    pub fn tenant(&self) -> Option<&str> {
        match self {
            Scope::Platform => None,
            Scope::Pos(p) | Scope::Cardholder(p) | Scope::Customer(p) => Some(p.as_str()),
            Scope::EndUser(p) => Some(p.as_str()),
        }
    }

    /// The merchant a tenant-scoped account belongs to (end users belong to a platform).
    pub fn partner(&self) -> Option<&PartnerId> {
        match self {
            Scope::Pos(p) | Scope::Cardholder(p) | Scope::Customer(p) => Some(p),
            Scope::Platform | Scope::EndUser(_) => None,
        }
    }

    /// The one role a tenant-scoped account has; platform-wide accounts have several.
    pub fn fixed_role(&self) -> Option<Role> {
        match self {
            Scope::Platform => None,
            Scope::Pos(_) => Some(Role::Pos),
            Scope::Cardholder(_) => Some(Role::Cardholder),
            Scope::Customer(_) => Some(Role::Customer),
            Scope::EndUser(_) => Some(Role::EndUser),
        }
    }

    /// Whether an account of this role may live in this scope.
    pub fn admits(&self, role: Role) -> bool {
        match self.fixed_role() {
            Some(fixed) => fixed == role,
            None => matches!(role, Role::Operator | Role::Manager | Role::Partner),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.tenant() {
            None => f.write_str(self.kind()),
            Some(t) => write!(f, "{}:{t}", self.kind()),
        }
    }
}

impl TryFrom<String> for Scope {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        match s.split_once(':') {
            Some((kind, tenant)) => Scope::from_parts(kind, Some(tenant)),
            None => Scope::from_parts(&s, None),
        }
    }
}

impl From<Scope> for String {
    fn from(s: Scope) -> Self {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_through_their_string_form() {
        for scope in [
            Scope::Platform,
            Scope::Pos(PartnerId::from_raw("m1")),
            Scope::Cardholder(PartnerId::from_raw("m1")),
            Scope::Customer(PartnerId::from_raw("s1")),
            Scope::EndUser(PlatformId::from_raw("b1")),
        ] {
            assert_eq!(Scope::try_from(scope.to_string()), Ok(scope.clone()));
        }
        assert_eq!(Scope::Pos(PartnerId::from_raw("m1")).to_string(), "pos:m1");
    }

    #[test]
    fn tenant_scopes_need_a_tenant_and_admit_only_their_role() {
        assert!(Scope::from_parts("pos", None).is_err());
        assert!(Scope::from_parts("platform", Some("x")).is_err());
        assert!(Scope::from_parts("admin", None).is_err());
        let pos = Scope::Pos(PartnerId::from_raw("m1"));
        assert!(pos.admits(Role::Pos));
        assert!(!pos.admits(Role::Partner));
        assert!(Scope::Platform.admits(Role::Manager));
        assert!(!Scope::Platform.admits(Role::Cardholder));
    }
}
