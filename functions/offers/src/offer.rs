//! The offer record: the partner's draft, its images, and its state on each platform (with
//! the approved version that platform shows). Keys and attribute names are defined here.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::domain::Month;
use shared::domain::{Cents, PartnerId, PlatformId};
use shared::store::{Attr, GSI1PK, GSI1SK, Index, Item, Key, Query};
use shared::{Error, Result};
use utoipa::ToSchema;

pub const OFFER_PREFIX: &str = "OFFER#";
const OFFER_SK: &str = "OFFER";
/// Every optimistic write of the offer record is conditioned on this counter.
pub const VERSION: Attr = "version";

pub fn offer_pk(offer_id: &str) -> String {
    format!("{OFFER_PREFIX}{offer_id}")
}

pub fn offer_key(offer_id: &str) -> Key {
    Key::new(offer_pk(offer_id), OFFER_SK)
}

const REVIEW_PREFIX: &str = "REVIEW#";

/// The submission of the offer waiting for review on `platform`.
pub fn review_key(offer_id: &str, platform: &PlatformId) -> Key {
    Key::new(offer_pk(offer_id), format!("{REVIEW_PREFIX}{platform}"))
}

/// The names of the steps of the offers' transactions: a cancelled transaction names the step
/// whose condition failed.
pub mod step {
    /// The offer record, conditioned on the version read.
    pub const OFFER: &str = "offer";
    /// A submission in a platform's review queue.
    pub const REVIEW: &str = "review";
    /// A copy of the offer in a feed.
    pub const FEED_ENTRY: &str = "feed_entry";
    /// A placement kind's slot counter of a month.
    pub const SLOT: &str = "slot";
    /// A placement booking.
    pub const BOOKING: &str = "booking";
    /// The placement kind, still offered (not retired).
    pub const KIND: &str = "kind";
    /// The partner's marker for billing.
    pub const BILLABLE: &str = "billable";
}

/// The index partition of a partner's offers, newest first.
pub fn partner_offers_index(partner: &PartnerId) -> String {
    format!("{}#OFFERS", shared::model::partners::partner_pk(partner))
}

pub fn partner_offers(partner: &PartnerId) -> Query {
    Query::partition(Index::Gsi1, partner_offers_index(partner)).backwards()
}

/// The fixed list of categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Essen,
    Mode,
    Reisen,
    Freizeit,
    Gesundheit,
    Technik,
    Wohnen,
    Mobilitaet,
    Dienstleistung,
    Sonstiges,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Self::Essen,
        Self::Mode,
        Self::Reisen,
        Self::Freizeit,
        Self::Gesundheit,
        Self::Technik,
        Self::Wohnen,
        Self::Mobilitaet,
        Self::Dienstleistung,
        Self::Sonstiges,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Essen => "essen",
            Self::Mode => "mode",
            Self::Reisen => "reisen",
            Self::Freizeit => "freizeit",
            Self::Gesundheit => "gesundheit",
            Self::Technik => "technik",
            Self::Wohnen => "wohnen",
            Self::Mobilitaet => "mobilitaet",
            Self::Dienstleistung => "dienstleistung",
            Self::Sonstiges => "sonstiges",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BenefitKind {
    /// `value` percent off.
    Percent,
    /// `value` cents off.
    Amount,
    /// A free add-on, described in `text`.
    FreeAddOn,
    /// Anything else, described in `text`.
    Other,
}

/// What the community gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Benefit {
    pub kind: BenefitKind,
    /// Percent (1–100) or cents, for `percent` and `amount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Benefit {
    /// The benefit in German, e.g. `15 % Rabatt` or `5,00 € Rabatt`.
    pub fn headline(&self) -> String {
        match (self.kind, self.value, &self.text) {
            (BenefitKind::Percent, Some(p), _) => format!("{p} % Rabatt"),
            (BenefitKind::Amount, Some(c), _) => format!("{} Rabatt", Cents(c)),
            (_, _, Some(text)) => text.clone(),
            _ => String::new(),
        }
    }
}

/// Redemption in the partner's online shop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Online {
    /// An https address.
    pub shop_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_code: Option<String>,
}

/// Redemption in the partner's shop on site, by showing the coupon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InStore {
    pub instructions: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum ImageType {
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/webp")]
    Webp,
}

impl ImageType {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "image/png" => Some(Self::Png),
            "image/jpeg" => Some(Self::Jpeg),
            "image/webp" => Some(Self::Webp),
            _ => None,
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
        }
    }
}

/// One image of an offer, stored under `offers/` in the bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Image {
    pub image_id: String,
    /// The object's key in the bucket.
    pub key: String,
    pub content_type: ImageType,
    pub size_bytes: u64,
}

/// The texts and terms of an offer: what the partner edits and a platform approves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Content {
    pub title: String,
    pub teaser: String,
    pub description: String,
    pub benefit: Benefit,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online: Option<Online>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_store: Option<InStore>,
    pub valid_from: Date,
    pub valid_to: Date,
    pub categories: Vec<Category>,
    /// In display order.
    #[serde(default)]
    pub images: Vec<Image>,
}

impl Content {
    /// Whether `day` lies inside the validity (both ends included).
    pub fn valid_on(&self, day: Date) -> bool {
        self.valid_from <= day && day <= self.valid_to
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for the platform's manager.
    InReview,
    Approved,
    Rejected,
    Withdrawn,
    /// Taken off the platform by its manager, with a reason (in `rejection_reason`); the
    /// partner may edit and submit it again.
    TakenDown,
}

/// What the manager confirmed with a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Checks {
    /// The offer is lawful.
    pub lawful: bool,
    /// It gives the community a real benefit.
    pub real_benefit: bool,
}

/// The version a platform shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Live {
    pub content: Content,
    /// The draft revision it was approved as (see [`Offer::draft_revision`]); none on
    /// versions approved before offers counted their revisions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft_revision: Option<u64>,
    pub company: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_key: Option<String>,
    /// First approval on this platform: the feed's "newest" order.
    pub published_at: Timestamp,
    pub approved_at: Timestamp,
}

/// Of the version a platform shows, only which draft revision it is: enough to tell a
/// pending revision, without decoding the approved content (the partner's list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct LiveRevision {
    #[serde(default)]
    pub draft_revision: Option<u64>,
}

/// A version a platform shows, in full or only its revision.
pub trait ShownVersion {
    /// Whether it is the draft.
    fn shows(&self, draft: &Content, draft_revision: u64) -> bool;
    /// Approved before revisions were counted: only its content tells.
    fn uncounted(&self) -> bool;
}

impl ShownVersion for Live {
    fn shows(&self, draft: &Content, draft_revision: u64) -> bool {
        match self.draft_revision {
            Some(revision) => revision == draft_revision,
            None => self.content == *draft,
        }
    }

    fn uncounted(&self) -> bool {
        self.draft_revision.is_none()
    }
}

impl ShownVersion for LiveRevision {
    /// An uncounted version is taken for a pending revision; [`Offer::uncounted`] tells the
    /// reader to load it in full instead.
    fn shows(&self, _draft: &Content, draft_revision: u64) -> bool {
        self.draft_revision == Some(draft_revision)
    }

    fn uncounted(&self) -> bool {
        self.draft_revision.is_none()
    }
}

/// The offer's state on one platform; `L` is the shown version, in full or only its revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "L: Deserialize<'de>"))]
pub struct OnPlatform<L = Live> {
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<Checks>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// The approved version shown there, while any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<L>,
    /// Months with a booked premium placement there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placed_months: Vec<Month>,
}

impl<L: ShownVersion> OnPlatform<L> {
    /// The draft differs from the version shown here: a revision to submit or in review.
    pub fn revision_pending(&self, draft: &Content, draft_revision: u64) -> bool {
        self.live
            .as_ref()
            .is_some_and(|l| !l.shows(draft, draft_revision))
    }
}

/// The stored offer; `L` as in [`OnPlatform`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(deserialize = "L: Deserialize<'de>"))]
pub struct Offer<L = Live> {
    pub offer_id: String,
    pub partner_id: PartnerId,
    /// The draft (or the revision being prepared).
    pub content: Content,
    /// Counts the changes of `content`, so a shown version can tell whether it is the draft
    /// without comparing the two.
    #[serde(default)]
    pub draft_revision: u64,
    /// The platforms it is meant for.
    pub platforms: Vec<PlatformId>,
    #[serde(default)]
    pub states: BTreeMap<PlatformId, OnPlatform<L>>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

impl<L: ShownVersion> Offer<L> {
    /// The state on `platform` with a pending revision told apart.
    pub fn revision_pending_on(&self, platform: &PlatformId) -> bool {
        self.states
            .get(platform)
            .is_some_and(|s| s.revision_pending(&self.content, self.draft_revision))
    }

    /// Some platform shows a version approved before revisions were counted.
    pub fn uncounted(&self) -> bool {
        self.states
            .values()
            .any(|s| s.live.as_ref().is_some_and(L::uncounted))
    }
}

impl Offer {
    pub fn key(&self) -> Key {
        offer_key(&self.offer_id)
    }

    /// Edits the draft; a change makes it a new revision.
    pub fn revise(&mut self, edit: impl FnOnce(&mut Content)) {
        let before = self.content.clone();
        edit(&mut self.content);
        if self.content != before {
            self.draft_revision += 1;
        }
    }

    pub fn to_item(&self) -> Result<Item> {
        let mut item = shared::model::to_item(&self.key(), self)?;
        item.insert(GSI1PK.into(), partner_offers_index(&self.partner_id).into());
        item.insert(
            GSI1SK.into(),
            format!("{}#{}", self.created_at, self.offer_id).into(),
        );
        Ok(item)
    }

    /// Whether it is shown or in review anywhere (then it cannot be deleted).
    pub fn is_published_or_in_review(&self) -> bool {
        self.states
            .values()
            .any(|s| s.live.is_some() || s.status == Status::InReview)
    }

    /// The offer as its owner may see it, or 404 for anyone else.
    pub fn owned_by(self, partner: &PartnerId) -> Result<Self> {
        if &self.partner_id == partner {
            Ok(self)
        } else {
            Err(not_found())
        }
    }
}

pub fn not_found() -> Error {
    Error::NotFound("Angebot nicht gefunden.".into())
}

/// Reads an offer; 404 when there is none.
pub async fn load(table: &dyn shared::store::Table, offer_id: &str) -> Result<Offer> {
    let item = table
        .get(&offer_key(offer_id))
        .await?
        .ok_or_else(not_found)?;
    shared::model::from_item(item)
}

/// Reads an offer of this partner; 404 for unknown and foreign offers alike.
pub async fn load_own(
    table: &dyn shared::store::Table,
    offer_id: &str,
    partner: &PartnerId,
) -> Result<Offer> {
    load(table, offer_id).await?.owned_by(partner)
}

/// The optimistic write of a changed offer: `TxOp::Put` conditioned on the version read.
pub fn save_op(offer: &Offer, read_version: u64) -> Result<shared::store::TxOp> {
    Ok(shared::store::TxOp::Put {
        item: offer.to_item()?,
        cond: shared::store::Cond::Eq(VERSION, read_version.into()),
    })
}

/// A concurrent change of the same offer.
pub fn changed_meanwhile() -> Error {
    Error::Conflict("Das Angebot wurde gerade anderweitig geändert. Bitte neu laden.".into())
}
