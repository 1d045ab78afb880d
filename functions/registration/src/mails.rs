//! The registration function's German e-mails, rendered from `templates/`.

use shared::Error;
use shared::domain::Email;
use shared::mail::{Mail, Mailer, Template};

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

pub async fn send(
    mailer: &dyn Mailer,
    to: &Email,
    template: Template,
    vars: &[(&str, &str)],
) -> Result<(), Error> {
    let (subject, text, html) = template.render(vars);
    mailer
        .send(Mail {
            to: to.clone(),
            subject,
            text,
            html,
        })
        .await?;
    Ok(())
}

pub use shared::mail::{link, token_in_link};

/// German civil date, e.g. `31.05.2026`.
pub fn german_date(day: jiff::civil::Date) -> String {
    day.strftime("%d.%m.%Y").to_string()
}
