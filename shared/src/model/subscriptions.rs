//! A partner's application to a platform, which becomes its subscription once approved
//! (the contract billing charges monthly).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::domain::{Email, PartnerId, PlatformId};
use crate::store::{Attr, GSI1PK, GSI1SK, Item, Key};

use super::partners::partner_pk;
use super::platforms::platform_pk;

pub const APPLICATION_PREFIX: &str = "APPLICATION#";
/// Attribute every status transition is conditioned on.
pub const STATUS: Attr = "status";
/// The partner's address as the platform's managers see it; follows the partner's login.
pub const CONTACT_EMAIL: Attr = "contact_email";

pub fn application_key(partner: &PartnerId, platform: &PlatformId) -> Key {
    Key::new(
        partner_pk(partner),
        format!("{APPLICATION_PREFIX}{platform}"),
    )
}

/// The index partition listing a platform's applications, sorted by status then date.
pub fn applications_index(platform: &PlatformId) -> String {
    format!("{}#APPLICATIONS", platform_pk(platform))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ApplicationStatus {
    Pending,
    Approved,
    Rejected,
    Withdrawn,
    Cancelled,
}

impl ApplicationStatus {
    pub const ALL: [ApplicationStatus; 5] = [
        Self::Pending,
        Self::Approved,
        Self::Rejected,
        Self::Withdrawn,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The sort-key prefix selecting one status in [`applications_index`].
    pub fn index_prefix(self) -> String {
        format!("{}#", self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Application {
    pub partner_id: PartnerId,
    pub platform_id: PlatformId,
    pub platform_name: String,
    pub company: String,
    pub contact_email: Email,
    pub status: ApplicationStatus,
    pub applied_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
    /// The civil date (Europe/Berlin) from which the monthly fee runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_on: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<Timestamp>,
    /// Last day of the subscription after a cancellation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_on: Option<Date>,
    /// The operator disabled the partner's account then: the subscription shows nothing on
    /// the platform any more (its billing is unchanged, docs/billing.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_disabled_at: Option<Timestamp>,
    /// Set while the platform's manager suspends the partner there: none of its offers or
    /// programs is shown, and no month starting meanwhile is billed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspension: Option<Suspension>,
}

/// A partner suspended on a platform by its manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Suspension {
    /// Why, as the partner was mailed it.
    pub reason: String,
    pub suspended_at: Timestamp,
}

/// The attribute [`Application::partner_disabled_at`] is stored under.
pub const PARTNER_DISABLED_AT: Attr = "partner_disabled_at";

impl Application {
    pub fn key(&self) -> Key {
        application_key(&self.partner_id, &self.platform_id)
    }

    fn index_sort_key(&self) -> String {
        format!(
            "{}{}#{}",
            self.status.index_prefix(),
            self.applied_at,
            self.partner_id
        )
    }

    /// Whether the subscription still runs (or will) on `day`.
    pub fn runs_on(&self, day: Date) -> bool {
        match self.status {
            ApplicationStatus::Pending | ApplicationStatus::Approved => true,
            ApplicationStatus::Cancelled => self.ends_on.is_none_or(|end| end >= day),
            ApplicationStatus::Rejected | ApplicationStatus::Withdrawn => false,
        }
    }

    /// A subscription that runs on `day`: approved, or cancelled and not yet ended (the
    /// condition for being shown on the platform and for running programs there), neither
    /// suspended by the platform's manager nor of a partner the operator disabled.
    pub fn subscribed_on(&self, day: Date) -> bool {
        self.contracted_on(day) && self.suspension.is_none() && self.partner_disabled_at.is_none()
    }

    /// The contract runs on `day` (approved, or cancelled and not yet ended), suspended or
    /// not: what a suspension needs.
    pub fn contracted_on(&self, day: Date) -> bool {
        matches!(
            self.status,
            ApplicationStatus::Approved | ApplicationStatus::Cancelled
        ) && self.runs_on(day)
    }

    /// The item with its keys and index attributes.
    pub fn to_item(&self) -> Result<Item, crate::Error> {
        let mut item = super::to_item(&self.key(), self)?;
        item.insert(GSI1PK.into(), applications_index(&self.platform_id).into());
        item.insert(GSI1SK.into(), self.index_sort_key().into());
        Ok(item)
    }
}
