//! Files sent with a mail. A mail names them by their key in the blob store; the bytes are
//! read only when the mail is sent, because a pending mail is a table item (400 KB at most,
//! and every byte costs write units) and may be sent again days later by the schedule.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{Mail, MailError};

/// A file to send with a mail, by reference.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Attachment {
    /// The object's key in the blob store (`shared::blobs`).
    pub key: String,
    /// The name the recipient sees, e.g. `Rechnung-2026-000001.pdf`.
    pub filename: String,
    pub content_type: String,
}

impl Attachment {
    pub fn new(
        key: impl Into<String>,
        filename: impl Into<String>,
        content_type: impl Into<String>,
    ) -> Self {
        Self {
            key: key.into(),
            filename: filename.into(),
            content_type: content_type.into(),
        }
    }
}

/// An attachment with its bytes, read for one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedAttachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Where a mailer reads attachments when it sends: the blob store.
#[async_trait]
pub trait AttachmentSource: Send + Sync {
    /// The object's bytes; `Ok(None)` when there is no such object.
    async fn read(
        &self,
        key: &str,
    ) -> Result<Option<Vec<u8>>, Box<dyn std::error::Error + Send + Sync>>;
}

#[cfg(feature = "s3")]
#[async_trait]
impl AttachmentSource for crate::blobs::Blobs {
    async fn read(
        &self,
        key: &str,
    ) -> Result<Option<Vec<u8>>, Box<dyn std::error::Error + Send + Sync>> {
        match self.get(key).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(crate::blobs::BlobError::NotFound) => Ok(None),
            Err(e) => Err(Box::new(e)),
        }
    }
}

/// Why an attachment could not be read. It names no key or file: the message is logged and
/// stored with the pending mail.
#[derive(Debug, thiserror::Error)]
enum Unreadable {
    #[error("the mailer has no blob store to read attachments from")]
    NoSource,
    #[error("object not found")]
    Missing,
}

/// Reads every attachment of `mail`. Any that cannot be read fails the send, so the mail is
/// retried later and never goes out without a file it promises.
pub(crate) async fn load(
    source: Option<&dyn AttachmentSource>,
    mail: &Mail,
) -> Result<Vec<LoadedAttachment>, MailError> {
    if mail.attachments.is_empty() {
        return Ok(Vec::new());
    }
    let source = source.ok_or_else(|| MailError::Attachment(Box::new(Unreadable::NoSource)))?;
    let mut loaded = Vec::with_capacity(mail.attachments.len());
    for a in &mail.attachments {
        let bytes = source
            .read(&a.key)
            .await
            .map_err(MailError::Attachment)?
            .ok_or_else(|| MailError::Attachment(Box::new(Unreadable::Missing)))?;
        loaded.push(LoadedAttachment {
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            bytes,
        });
    }
    Ok(loaded)
}
