use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;

use super::{AttachmentSource, Mail, MailError, Mailer, attachments};

/// Local mailer: one JSON file per mail in a folder, newest last when listed. A mail's
/// attachments are saved beside it as `<mail>-<filename>`, so a developer can open them.
#[derive(Clone)]
pub struct OutboxMailer {
    dir: PathBuf,
    attachments: Option<Arc<dyn AttachmentSource>>,
}

impl std::fmt::Debug for OutboxMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxMailer")
            .field("dir", &self.dir)
            .field("reads_attachments", &self.attachments.is_some())
            .finish()
    }
}

impl OutboxMailer {
    /// Without an attachment source a mail with attachments fails (and stays pending).
    pub fn new(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            dir,
            attachments: None,
        })
    }

    /// Reads the attachments of the mails it writes from `source` (the blob store).
    pub fn with_attachments(mut self, source: Arc<dyn AttachmentSource>) -> Self {
        self.attachments = Some(source);
        self
    }

    /// Every mail in the outbox, oldest first.
    pub async fn list(&self) -> std::io::Result<Vec<Mail>> {
        let mut names = Vec::new();
        let mut entries = tokio::fs::read_dir(&self.dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name().to_string_lossy().into_owned();
            // Only `<uuid>.json`: an attachment may be called `….json` too.
            let is_mail = name
                .strip_suffix(".json")
                .is_some_and(|stem| uuid::Uuid::try_parse(stem).is_ok());
            if is_mail {
                names.push(name);
            }
        }
        names.sort();
        let mut mails = Vec::with_capacity(names.len());
        for name in names {
            let bytes = tokio::fs::read(self.dir.join(&name)).await?;
            if let Ok(mail) = serde_json::from_slice(&bytes) {
                mails.push(mail);
            }
        }
        Ok(mails)
    }

    /// Where the attachment `filename` of the mail `stem` is saved.
    fn attachment_path(&self, stem: &str, filename: &str) -> PathBuf {
        self.dir.join(format!("{stem}-{}", file_name(filename)))
    }

    /// The saved attachment `filename` of the newest mail that has one of that name.
    pub async fn attachment(&self, filename: &str) -> std::io::Result<Option<Vec<u8>>> {
        let suffix = format!("-{}", file_name(filename));
        let mut names = Vec::new();
        let mut entries = tokio::fs::read_dir(&self.dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(&suffix) && !name.starts_with('.') {
                names.push(name);
            }
        }
        match names.into_iter().max() {
            Some(name) => Ok(Some(tokio::fs::read(self.dir.join(name)).await?)),
            None => Ok(None),
        }
    }
}

/// A file name that stays inside the outbox folder whatever the mail calls it.
fn file_name(filename: &str) -> String {
    let name: String = filename
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    name.trim_start_matches('.').to_string()
}

fn failed(e: impl std::error::Error + Send + Sync + 'static) -> MailError {
    MailError::Send(Box::new(e))
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let files = attachments::load(self.attachments.as_deref(), &mail).await?;
        // UUIDv7 names sort by time, so the listing is in sending order.
        let stem = uuid::Uuid::now_v7().to_string();
        // The attachments first: a listed mail always has its files beside it.
        for file in &files {
            tokio::fs::write(self.attachment_path(&stem, &file.filename), &file.bytes)
                .await
                .map_err(failed)?;
        }
        let name = format!("{stem}.json");
        let bytes = serde_json::to_vec_pretty(&mail).map_err(failed)?;
        let tmp = self.dir.join(format!(".{name}.tmp"));
        tokio::fs::write(&tmp, bytes).await.map_err(failed)?;
        tokio::fs::rename(&tmp, self.dir.join(name))
            .await
            .map_err(failed)?;
        tracing::info!(attachments = files.len(), "mail written to the outbox");
        Ok(())
    }
}
