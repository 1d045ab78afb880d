//! The shapes of the answers handlers build with `json!`, for the OpenAPI document. The
//! fuzzer (`cargo xtask fuzz`) checks every real answer against them.

use serde::Serialize;
use shared::domain::{AccountId, PlatformId};
use shared::model::subscriptions::Application;
use utoipa::ToSchema;

use crate::platforms::PlatformView;

/// A German message for the user.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"message": "Vielen Dank! Bitte bestätigen Sie Ihre E-Mail-Adresse über den Link, den wir Ihnen gesendet haben."}))]
pub struct Message {
    pub message: String,
}

/// What happened, and a German message for the user.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusMessage {
    /// `confirmed` or `password_set`.
    pub status: String,
    pub message: String,
}

/// A bearer token for the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginReply {
    /// An EdDSA-signed JWT; send it as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires (900).
    pub expires_in: i64,
    /// `operator`, `manager`, `partner`, `pos`, `cardholder`, `customer` or `enduser`.
    pub role: String,
    /// `platform`, or a tenant scope such as `pos:<partner id>`.
    pub scope: String,
    /// The platforms a manager manages (an end user's: its platform); empty for others.
    pub platforms: Vec<String>,
}

/// A presigned upload: send the file with exactly this method, URL and headers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Upload {
    /// Always `PUT`.
    pub method: String,
    pub url: String,
    /// Headers the upload must carry (`content-type`).
    pub headers: std::collections::BTreeMap<String, String>,
    pub expires_in_seconds: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogoUpload {
    pub upload: Upload,
}

/// The partner's own applications and subscriptions.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyApplications {
    pub applications: Vec<Application>,
    /// The last day of a subscription cancelled today (Europe/Berlin): one calendar month's
    /// notice to the end of a month.
    pub cancellation_ends_on: jiff::civil::Date,
}

/// An application as the platform's manager reviews it: the application (waiting since
/// `applied_at`) and the partner's company data as its profile holds it now.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformApplication {
    #[serde(flatten)]
    pub application: Application,
    /// The company's postal address, when the partner has given one.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<shared::model::partners::Address>,
    /// The company's VAT id, when the partner has given one.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_id: Option<String>,
    /// The contact person's name.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_name: Option<String>,
}

/// One page of a platform's applications.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformApplications {
    pub applications: Vec<PlatformApplication>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// What a cancellation did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Cancellation {
    /// `withdrawn` (a pending application) or `cancelled` (a subscription).
    pub status: String,
    /// The subscription's last day (Europe/Berlin), for `cancelled`.
    #[schema(nullable = false)]
    pub ends_on: Option<jiff::civil::Date>,
    pub message: String,
}

/// Every platform, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct Platforms {
    pub platforms: Vec<PlatformView>,
}

/// A manager invited (`invited`, with the new account's id) or given one more platform
/// (`added`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ManagerInvited {
    pub status: String,
    #[schema(nullable = false)]
    pub manager_id: Option<AccountId>,
    pub platform_id: PlatformId,
}

/// A changed password: this session's new access token, and a German message.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordChanged {
    /// An EdDSA-signed JWT of the new generation; the old tokens run out within 15 minutes.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires (900).
    pub expires_in: i64,
    /// `operator`, `manager` or `partner`.
    pub role: String,
    /// Always `platform`.
    pub scope: String,
    pub message: String,
}
