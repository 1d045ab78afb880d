use async_trait::async_trait;
use aws_sdk_ses::Client;
use aws_sdk_ses::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ses::types::{Body, Content, Destination, Message};

use super::{Mail, MailError, Mailer};

/// Sends through SES `SendEmail` from the configured sender identity.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: Client,
    from: String,
}

impl SesMailer {
    pub fn new(client: Client, from: impl Into<String>) -> Self {
        Self {
            client,
            from: from.into(),
        }
    }
}

/// An SES failure by its kind or error code only: SES messages can quote the recipient's
/// address, and this error ends up in logs and in the pending mail (DESIGN §11).
#[derive(Debug, thiserror::Error)]
#[error("SES: {0}")]
pub struct SesFailure(String);

impl SesFailure {
    fn of<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> Self {
        let what = match e {
            SdkError::ConstructionFailure(_) => "request could not be built",
            SdkError::TimeoutError(_) => "timeout",
            SdkError::DispatchFailure(_) => "not reachable",
            SdkError::ResponseError(_) => "unreadable response",
            SdkError::ServiceError(_) => e.code().unwrap_or("service error"),
            _ => "failed",
        };
        Self(what.to_string())
    }
}

fn utf8(data: String) -> Result<Content, MailError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| MailError::Send(Box::new(e)))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let message = Message::builder()
            .subject(utf8(mail.subject)?)
            .body(
                Body::builder()
                    .text(utf8(mail.text)?)
                    .html(utf8(mail.html)?)
                    .build(),
            )
            .build();
        self.client
            .send_email()
            .source(&self.from)
            .destination(
                Destination::builder()
                    .to_addresses(mail.to.as_str())
                    .build(),
            )
            .message(message)
            .send()
            .await
            .map_err(|e| MailError::Send(Box::new(SesFailure::of(&e))))?;
        tracing::info!("mail sent via SES");
        Ok(())
    }
}
