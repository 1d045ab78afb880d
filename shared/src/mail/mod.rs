//! The Mailer port: SES in AWS, an outbox folder locally. Mails are German, text and HTML.
//! Handlers do not call a mailer directly: [`pending`] writes each mail together with the
//! change it reports and sends it after the commit, retried until sent. A mail may carry
//! files from the blob store ([`Attachment`]); SES then gets it as raw MIME.

mod attachments;
pub mod limit;
mod links;
#[cfg(feature = "ses")]
mod mime;
mod outbox;
pub mod pending;
#[cfg(feature = "ses")]
mod ses;
mod template;

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use attachments::{Attachment, AttachmentSource, LoadedAttachment};
pub use links::{app_path, link, link_then, token_in_link};
pub use outbox::OutboxMailer;
#[cfg(feature = "ses")]
pub use ses::{SesFailure, SesMailer};
pub use template::Template;

use crate::domain::Email;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Mail {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Files sent with the mail, by blob key. Records stored before mails had attachments
    /// read as none, and a mail without any is stored as before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

impl Mail {
    /// A mail to `to` from a template of the repository and its values.
    pub fn render(to: &Email, template: Template, vars: &[(&str, &str)]) -> Self {
        let (subject, text, html) = template.render(vars);
        Self {
            to: to.clone(),
            subject,
            text,
            html,
            attachments: Vec::new(),
        }
    }

    /// The mail with `attachment` added; it is read from the blob store when sent.
    pub fn with_attachment(mut self, attachment: Attachment) -> Self {
        self.attachments.push(attachment);
        self
    }
}

/// Why a mail was not sent. Its messages (and those of its sources) are logged and stored
/// with the pending mail, so they carry no addresses or other personal data.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail could not be sent")]
    Send(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// An attachment could not be read from the blob store: the mail is not sent without it.
    #[error("attachment could not be read")]
    Attachment(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: Mail) -> Result<(), MailError>;
}

pub type SharedMailer = Arc<dyn Mailer>;

impl From<MailError> for crate::error::Error {
    fn from(e: MailError) -> Self {
        crate::error::Error::Unavailable(Box::new(e))
    }
}
