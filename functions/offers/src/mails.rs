//! The offers function's German e-mails, rendered from `templates/`.

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

pub const OFFER_APPROVED: Template = template!("offer_approved");
pub const OFFER_REJECTED: Template = template!("offer_rejected");
pub const OFFER_TAKEN_DOWN: Template = template!("offer_taken_down");

/// Renders a mail for the outbox: the caller writes it in the transaction of the decision
/// it reports, then delivers it.
pub fn render(to: &Email, template: Template, vars: &[(&str, &str)]) -> Mail {
    Mail::render(to, template, vars)
}
