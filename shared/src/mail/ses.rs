use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use aws_sdk_ses::Client;
use aws_sdk_ses::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ses::primitives::Blob;
use aws_sdk_ses::types::{Body, Content, Destination, Message, RawMessage};

use super::{AttachmentSource, Mail, MailError, Mailer, attachments, mime};

/// Sends through SES from the configured sender identity: `SendEmail`, or `SendRawEmail`
/// (MIME) for a mail with attachments, which it reads from the attachment source.
#[derive(Clone)]
pub struct SesMailer {
    client: Arc<LazyLock<Client, BuildClient>>,
    from: String,
    attachments: Option<Arc<dyn AttachmentSource>>,
}

impl std::fmt::Debug for SesMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SesMailer")
            .field("reads_attachments", &self.attachments.is_some())
            .finish_non_exhaustive()
    }
}

/// How the client comes to be: given, or built from the SDK's configuration.
type BuildClient = Box<dyn FnOnce() -> Client + Send>;

impl SesMailer {
    /// Without an attachment source a mail with attachments fails (and stays pending).
    pub fn new(client: Client, from: impl Into<String>) -> Self {
        Self::building(Box::new(move || client), from)
    }

    /// As [`new`](Self::new), with the SES client built on the first mail: most requests
    /// send none, and building it during a cold start cost 0.1 ms of the 7.2 ms of CPU a
    /// 128 MB function gets per 100 ms (docs/performance.md, "First request with TLS").
    pub fn from_sdk(sdk: &crate::config::SdkConfig, from: impl Into<String>) -> Self {
        let sdk = sdk.clone();
        Self::building(Box::new(move || crate::config::ses_client(&sdk)), from)
    }

    fn building(client: BuildClient, from: impl Into<String>) -> Self {
        Self {
            client: Arc::new(LazyLock::new(client)),
            from: from.into(),
            attachments: None,
        }
    }

    /// Reads the attachments of the mails it sends from `source` (the blob store).
    pub fn with_attachments(mut self, source: Arc<dyn AttachmentSource>) -> Self {
        self.attachments = Some(source);
        self
    }

    async fn send_raw(&self, mail: Mail) -> Result<(), MailError> {
        let files = attachments::load(self.attachments.as_deref(), &mail).await?;
        let raw = mime::raw_message(&self.from, &mail, &files)?;
        let raw = RawMessage::builder()
            .data(Blob::new(raw))
            .build()
            .map_err(|e| MailError::Send(Box::new(e)))?;
        self.client
            .send_raw_email()
            .source(&self.from)
            .destinations(mail.to.as_str())
            .raw_message(raw)
            .send()
            .await
            .map_err(|e| MailError::Send(Box::new(SesFailure::of(&e))))?;
        tracing::info!(attachments = files.len(), "mail sent via SES (raw)");
        Ok(())
    }
}

/// An SES failure by its kind or error code only: SES messages can quote the recipient's
/// address, and this error ends up in logs and in the pending mail (docs/architecture.md §11).
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
        if !mail.attachments.is_empty() {
            return self.send_raw(mail).await;
        }
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
