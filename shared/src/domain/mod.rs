//! Typed domain values: parsed once at the edge, trusted everywhere after.

mod email;
mod iban;
mod ids;
mod money;
mod month;
mod password;
mod sepa_text;
pub mod text;

pub use email::Email;
pub use iban::{Iban, SEPA_COUNTRIES};
pub use ids::{AccountId, PartnerId, PlatformId, ProgramId, RecordId, new_id, short_code};
pub use money::Cents;
pub use month::{MONTH_FORMAT, Month};
pub use password::Password;
pub use sepa_text::{SEPA_NAME_MAX_CHARS, SepaText};
