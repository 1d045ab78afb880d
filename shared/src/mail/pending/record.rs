//! The pending-mail record: one item per mail (`MAIL#<uuidv7>`), listed while it waits
//! through a sparse gsi1 partition ordered by the time it is due.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::mail::Mail;
use crate::store::{Attr, Item, Key};

pub const MAIL_PREFIX: &str = "MAIL#";
pub const MAIL_SK: &str = "MAIL";
/// The gsi1 partition of every mail still to be sent. A sent or abandoned mail leaves it
/// (its `gsi1pk` is removed), so the retry job queries only what is left to do.
pub const PENDING_PARTITION: &str = "MAIL#PENDING";

pub const MAIL_ID: Attr = "mail_id";
/// The mail itself (recipient, subject, text, HTML); removed once the mail is settled.
pub const CONTENT: Attr = "mail";
pub const STATUS: Attr = "status";
/// Send attempts started so far, counted when a sender claims the mail.
pub const ATTEMPTS: Attr = "attempts";
/// Epoch seconds from which the mail may be claimed: the next attempt, or the end of the
/// current sender's lease.
pub const DUE_AT: Attr = "due_at";
/// The current sender's claim token; only its holder may settle the mail.
pub const CLAIM: Attr = "claim";
pub const CREATED_AT: Attr = "created_at";
pub const SETTLED_AT: Attr = "settled_at";
/// Why the last attempt failed, without personal data (a service error code, "timeout").
pub const LAST_ERROR: Attr = "last_error";

/// A pending mail's id (UUIDv7).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PendingMailId(String);

impl PendingMailId {
    /// A fresh UUIDv7, sortable by creation.
    pub fn generate() -> Self {
        Self(crate::domain::new_id())
    }

    /// Wraps an id read from a log line or a stored record.
    pub fn from_raw(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> Key {
        Key::new(format!("{MAIL_PREFIX}{}", self.0), MAIL_SK)
    }
}

impl fmt::Display for PendingMailId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    Pending,
    Sent,
    /// Given up after too many failed attempts; see `last_error`.
    Abandoned,
}

impl MailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Pending => "pending",
            MailStatus::Sent => "sent",
            MailStatus::Abandoned => "abandoned",
        }
    }
}

/// What is stored for one mail (the keys and index attributes come on top).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingMailRecord {
    pub mail_id: PendingMailId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<Mail>,
    pub status: MailStatus,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<String>,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

impl PendingMailRecord {
    pub fn from_item(item: Item) -> Result<Self, serde_json::Error> {
        serde_json::from_value(serde_json::Value::Object(item))
    }
}

/// The gsi1 sort key: due time first (zero-padded epoch seconds sort as text), then the id.
pub fn due_sort_key(due_at: i64, id: &PendingMailId) -> String {
    format!("{:012}#{id}", due_at.max(0))
}

/// The highest sort key of a mail due at `at`: every key up to it is due by then.
pub fn due_by(at: i64) -> String {
    // '~' sorts after '#' and every character of an id.
    format!("{:012}~", at.max(0))
}

/// The lowest sort key of all.
pub const DUE_FROM: &str = "0";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Email;

    #[test]
    fn the_attribute_names_are_the_record_fields() -> Result<(), Box<dyn std::error::Error>> {
        let record = PendingMailRecord {
            mail_id: PendingMailId::generate(),
            mail: Some(Mail {
                to: Email::parse("anna@baeckerei-mueller.de")?,
                subject: "Betreff".into(),
                text: "Text".into(),
                html: "<p>Text</p>".into(),
                attachments: Vec::new(),
            }),
            status: MailStatus::Pending,
            attempts: 1,
            due_at: Some(1),
            claim: Some("c".into()),
            created_at: Timestamp::UNIX_EPOCH,
            settled_at: Some(Timestamp::UNIX_EPOCH),
            last_error: Some("timeout".into()),
        };
        let value = serde_json::to_value(&record)?;
        let mut names: Vec<&str> = value
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        names.sort_unstable();
        let mut expected = vec![
            MAIL_ID, CONTENT, STATUS, ATTEMPTS, DUE_AT, CLAIM, CREATED_AT, SETTLED_AT, LAST_ERROR,
        ];
        expected.sort_unstable();
        assert_eq!(names, expected);
        assert_eq!(value[STATUS], MailStatus::Pending.as_str());
        Ok(())
    }

    #[test]
    fn due_keys_sort_by_time_then_id() {
        let (a, b) = (PendingMailId::generate(), PendingMailId::generate());
        let early = due_sort_key(999, &b);
        let later = due_sort_key(1000, &a);
        assert!(early < later, "time before id");
        assert!(due_sort_key(1000, &a) < due_sort_key(1000, &b));
        assert!(later <= due_by(1000) && due_by(999) < later);
        assert!(DUE_FROM < early.as_str());
    }
}
