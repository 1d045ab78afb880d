use std::path::PathBuf;

use async_trait::async_trait;

use super::{Mail, MailError, Mailer};

/// Local mailer: one JSON file per mail in a folder, newest last when listed.
#[derive(Debug, Clone)]
pub struct OutboxMailer {
    dir: PathBuf,
}

impl OutboxMailer {
    pub fn new(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    /// Every mail in the outbox, oldest first.
    pub async fn list(&self) -> std::io::Result<Vec<Mail>> {
        let mut names = Vec::new();
        let mut entries = tokio::fs::read_dir(&self.dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".json") {
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
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: Mail) -> Result<(), MailError> {
        // UUIDv7 names sort by time, so the listing is in sending order.
        let name = format!("{}.json", uuid::Uuid::now_v7());
        let bytes = serde_json::to_vec_pretty(&mail).map_err(|e| MailError::Send(Box::new(e)))?;
        let tmp = self.dir.join(format!(".{name}.tmp"));
        tokio::fs::write(&tmp, bytes)
            .await
            .map_err(|e| MailError::Send(Box::new(e)))?;
        tokio::fs::rename(&tmp, self.dir.join(name))
            .await
            .map_err(|e| MailError::Send(Box::new(e)))?;
        tracing::info!("mail written to the outbox");
        Ok(())
    }
}
