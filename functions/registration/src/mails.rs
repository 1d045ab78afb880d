//! The registration function's German e-mails, rendered from `templates/`.

use shared::domain::Email;
use shared::mail::{Mail, Template};

macro_rules! template {
    ($name:literal) => {
        Template {
            text: include_str!(concat!("../templates/", $name, ".txt")),
            html: include_str!(concat!("../templates/", $name, ".html")),
        }
    };
}

pub const CONFIRM_EMAIL: Template = template!("confirm_email");
pub const ALREADY_REGISTERED: Template = template!("already_registered");
pub const PASSWORD_RESET: Template = template!("password_reset");
pub const MANAGER_INVITE: Template = template!("manager_invite");
pub const MANAGER_ADDED: Template = template!("manager_added");
pub const APPLICATION_APPROVED: Template = template!("application_approved");
pub const APPLICATION_REJECTED: Template = template!("application_rejected");
pub const SUBSCRIPTION_CANCELLED: Template = template!("subscription_cancelled");
pub const PASSWORD_CHANGED: Template = template!("password_changed");
pub const EMAIL_CHANGE: Template = template!("email_change");
pub const EMAIL_CHANGED: Template = template!("email_changed");
pub const ACCOUNT_CLOSED: Template = template!("account_closed");
pub const PARTNER_SUSPENDED: Template = template!("partner_suspended");
pub const PARTNER_REINSTATED: Template = template!("partner_reinstated");
pub const MANAGER_DIGEST: Template = template!("manager_digest");
pub const ACCOUNT_DISABLED: Template = template!("account_disabled");

/// Renders a mail for the outbox (`shared::mail::pending`): the caller writes it in the
/// transaction of the change it reports, then delivers it.
pub fn render(to: &Email, template: Template, vars: &[(&str, &str)]) -> Mail {
    Mail::render(to, template, vars)
}

pub use shared::mail::{link, token_in_link};

pub use shared::clock::german_date;

/// An instant as Germans read it in a mail: `16.11.2026 um 09:00 Uhr` (Europe/Berlin).
pub fn german_time(at: jiff::Timestamp) -> String {
    at.to_zoned(shared::clock::berlin())
        .strftime("%d.%m.%Y um %H:%M Uhr")
        .to_string()
}

/// The page of the app that sends a password-reset link (for mails that say "that was not
/// me").
pub fn forgot_password_link(base_url: &str) -> String {
    format!("{}/passwort-vergessen", base_url.trim_end_matches('/'))
}
