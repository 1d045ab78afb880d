//! Typed domain values: parsed once at the edge, trusted everywhere after.

mod email;
mod iban;
mod ids;
mod money;
mod password;

pub use email::Email;
pub use iban::Iban;
pub use ids::{AccountId, PartnerId, PlatformId, new_id, short_code};
pub use money::Cents;
pub use password::Password;
