//! Authentication: EdDSA JWTs, role extractors, password hashing, one-time tokens.

mod extract;
mod jwt;
mod keys;
mod password;
pub mod revocation;
mod scope;

pub use extract::{Authenticated, ManagerAuth, OperatorAuth, PartnerAuth, TenantAuth};
pub use jwt::{Claims, JwtIssuer, JwtVerifier, KeyError, Role, TOKEN_LIFETIME_SECS, TokenCheck};
pub use keys::{Ed25519Pems, generate_ed25519_pems};
pub use password::{dummy_hash, hash_password, verify_password};
pub use revocation::{Ended, Revocations, reinstate_op, revoke_op};
pub use scope::{PLATFORM_SCOPE, Scope};
