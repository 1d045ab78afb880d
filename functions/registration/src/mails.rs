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

/// A link into the web front end carrying a one-time token.
pub fn link(base_url: &str, path: &str, token: &str) -> String {
    format!("{}/{path}?token={token}", base_url.trim_end_matches('/'))
}

/// German civil date, e.g. `31.05.2026`.
pub fn german_date(iso: &str) -> String {
    match iso.parse::<jiff::civil::Date>() {
        Ok(d) => d.strftime("%d.%m.%Y").to_string(),
        Err(_) => iso.to_string(),
    }
}

/// The token of the first link built by [`link`] in a mail's text; the inverse of `link`.
pub fn token_in_link(text: &str) -> Option<String> {
    let start = text.find("token=")? + "token=".len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    #[test]
    fn links_carry_their_token_back() {
        let link = super::link("https://partnernetz.de/", "einladung", "abc_-9");
        assert_eq!(link, "https://partnernetz.de/einladung?token=abc_-9");
        let html = format!("<a href=\"{link}\">x</a>");
        assert_eq!(super::token_in_link(&html).as_deref(), Some("abc_-9"));
        assert_eq!(super::token_in_link("kein Link"), None);
    }
}
