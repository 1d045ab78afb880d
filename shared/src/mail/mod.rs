//! The Mailer port: SES in AWS, an outbox folder locally. Mails are German, text and HTML.

mod links;
mod outbox;
mod ses;
mod template;

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use links::{link, token_in_link};
pub use outbox::OutboxMailer;
pub use ses::SesMailer;
pub use template::Template;

use crate::domain::Email;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Mail {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail could not be sent")]
    Send(#[source] Box<dyn std::error::Error + Send + Sync>),
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
