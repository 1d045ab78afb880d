//! The partner's own profile: `GET`/`PATCH /partners/me`, `POST /partners/me/logo`.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use shared::auth::PartnerAuth;
use shared::domain::PartnerId;
use shared::env::AppState;
use shared::http::{ApiJson, Validator};
use shared::model::from_item;
use shared::model::partners::{Address, MAX_LOGO_BYTES, Partner, attr, partner_key};
use shared::openapi::{Conflict, NotFound};
use shared::store::{Cond, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::logo::{self, Adoption, LOGO_TYPES};
use crate::replies::LogoUpload;

const LOGO_URL_LIFETIME: Duration = Duration::from_secs(3600);
const UPLOAD_URL_LIFETIME: Duration = Duration::from_secs(600);

pub async fn load_partner(state: &AppState, partner_id: &PartnerId) -> Result<Partner> {
    let item = state
        .table
        .get(&partner_key(partner_id))
        .await?
        .ok_or_else(|| Error::NotFound("Partnerkonto nicht gefunden.".into()))?;
    from_item(item)
}

/// The SEPA direct-debit mandate as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MandateView {
    pub account_holder: String,
    /// Masked: country, check digits and the last four characters.
    #[schema(example = "DE89 •••• •••• •••• ••30 00")]
    pub iban: String,
    /// The mandate reference on the partner's bank statements.
    pub reference: String,
    /// The day the mandate was given (Europe/Berlin).
    pub signed_on: jiff::civil::Date,
}

/// The partner's profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileView {
    pub id: PartnerId,
    pub company: String,
    pub contact_name: String,
    pub email: String,
    pub email_confirmed: bool,
    pub phone: Option<String>,
    pub address: Option<Address>,
    pub vat_id: Option<String>,
    /// A presigned GET URL of the logo, valid for an hour.
    pub logo_url: Option<String>,
    pub sepa_mandate: Option<MandateView>,
}

/// The partner's own profile, with the logo's URL and the masked mandate.
#[utoipa::path(get, path = "/partners/me", tag = "profile",
    responses(
        (status = 200, description = "The profile.", body = ProfileView),
        (status = 404, response = NotFound),
    ))]
pub async fn get_me(State(state): State<AppState>, auth: PartnerAuth) -> Result<Json<ProfileView>> {
    let mut partner = load_partner(&state, &auth.partner_id).await?;
    // The bucket's event adopts an upload at once; should it be late, this does.
    if let Some(pending) = partner.logo_pending_key.clone()
        && let Adoption::Adopted(logo) = logo::adopt(&state, &pending).await?
    {
        partner.logo_key = Some(logo);
    }
    let logo_url = match &partner.logo_key {
        Some(key) => Some(state.blobs.presign_get(key, LOGO_URL_LIFETIME).await?),
        None => None,
    };
    Ok(Json(ProfileView {
        id: partner.partner_id,
        company: partner.company,
        contact_name: partner.contact_name,
        email: partner.email.to_string(),
        email_confirmed: partner.email_confirmed,
        phone: partner.phone,
        address: partner.address,
        vat_id: partner.vat_id,
        logo_url,
        sepa_mandate: partner.mandate.map(|m| MandateView {
            account_holder: m.account_holder,
            iban: m.iban_masked,
            reference: m.reference,
            signed_on: m.signed_on,
        }),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub street: String,
    pub postal_code: String,
    pub city: String,
    /// Two letters; `DE` if left out (German postal codes have five digits).
    #[serde(default = "germany")]
    #[schema(default = "DE")]
    pub country: String,
}

fn germany() -> String {
    "DE".to_string()
}

/// The fields to change; at least one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "address": {"street": "Hauptstraße 1", "postal_code": "50667", "city": "Köln"},
    "vat_id": "DE123456789"
}))]
pub struct ProfilePatch {
    pub company: Option<String>,
    pub contact_name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<AddressInput>,
    pub vat_id: Option<String>,
}

/// German USt-IdNr. (DE + 9 digits) or another EU VAT id's general shape.
fn valid_vat_id(raw: &str) -> Result<String, &'static str> {
    let id: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    // Split after two characters, not two bytes: `€1` must be refused, not panic.
    let split = id.char_indices().nth(2).map_or(id.len(), |(i, _)| i);
    let (country, rest) = id.split_at(split);
    let ok = if country == "DE" {
        rest.len() == 9 && rest.chars().all(|c| c.is_ascii_digit())
    } else {
        country.chars().all(|c| c.is_ascii_uppercase())
            && (2..=12).contains(&rest.len())
            && rest.chars().all(|c| c.is_ascii_alphanumeric())
    };
    if ok && country.len() == 2 {
        Ok(id)
    } else {
        Err("ist keine gültige USt-IdNr. (z. B. DE123456789)")
    }
}

fn valid_address(v: &mut Validator, a: &AddressInput) -> Option<Address> {
    let street = v.text("address.street", &a.street, 200);
    let city = v.text("address.city", &a.city, 100);
    let country = a.country.trim().to_uppercase();
    v.require(
        "address.country",
        country.len() == 2 && country.chars().all(|c| c.is_ascii_uppercase()),
        "muss ein Ländercode mit zwei Buchstaben sein (z. B. DE)",
    );
    let postal_code = v.text("address.postal_code", &a.postal_code, 10);
    if let Some(code) = &postal_code {
        let postal_ok = if country == "DE" {
            code.len() == 5 && code.chars().all(|c| c.is_ascii_digit())
        } else {
            (3..=10).contains(&code.chars().count())
        };
        v.require(
            "address.postal_code",
            postal_ok,
            "ist keine gültige Postleitzahl",
        );
    }
    Some(Address {
        street: street?,
        postal_code: postal_code?,
        city: city?,
        country,
    })
}

/// Change company, contact name, phone, address or VAT id.
#[utoipa::path(patch, path = "/partners/me", tag = "profile", request_body = ProfilePatch,
    responses(
        (status = 200, description = "The changed profile.", body = ProfileView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ))]
pub async fn patch_me(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiJson(body): ApiJson<ProfilePatch>,
) -> Result<Json<ProfileView>> {
    let mut v = Validator::new();
    let mut ops = Vec::new();
    if let Some(company) = &body.company
        && let Some(c) = v.text("company", company, 200)
    {
        ops.push(Update::Set(attr::COMPANY, c.into()));
    }
    if let Some(name) = &body.contact_name
        && let Some(n) = v.text("contact_name", name, 200)
    {
        ops.push(Update::Set(attr::CONTACT_NAME, n.into()));
    }
    if let Some(phone) = &body.phone {
        let ok = phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-/()".contains(c))
            && (6..=30).contains(&phone.trim().len());
        v.require("phone", ok, "ist keine gültige Telefonnummer");
        ops.push(Update::Set(attr::PHONE, phone.trim().into()));
    }
    if let Some(address) = &body.address
        && let Some(a) = valid_address(&mut v, address)
    {
        ops.push(Update::Set(attr::ADDRESS, serde_json::to_value(a)?));
    }
    if let Some(vat) = &body.vat_id
        && let Some(id) = v.check("vat_id", valid_vat_id(vat))
    {
        ops.push(Update::Set(attr::VAT_ID, id.into()));
    }
    v.finish()?;
    if ops.is_empty() {
        return Err(Error::field("body", "enthält kein änderbares Feld"));
    }
    state
        .table
        .update(&partner_key(&auth.partner_id), &ops, Cond::Exists)
        .await?;
    get_me(State(state), auth).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"content_type": "image/png", "size_bytes": 48213}))]
pub struct LogoRequest {
    /// `image/png`, `image/jpeg` or `image/webp`.
    pub content_type: String,
    /// The file's exact size in bytes, at most 5 MB (5 242 880).
    pub size_bytes: u64,
}

/// A presigned upload for the logo (valid for ten minutes) with its type and exact size signed
/// (S3 refuses any other); the logo shows as soon as the file is in the bucket, if its
/// content is an image of the declared type.
#[utoipa::path(post, path = "/partners/me/logo", tag = "profile", request_body = LogoRequest,
    responses(
        (status = 200, description = "Upload the file with exactly this request.", body = LogoUpload),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ))]
pub async fn presign_logo(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiJson(body): ApiJson<LogoRequest>,
) -> Result<Json<Value>> {
    let content_type = body.content_type.trim().to_ascii_lowercase();
    let ext = LOGO_TYPES
        .iter()
        .find(|(t, _)| *t == content_type)
        .map(|(_, e)| *e);
    let mut v = Validator::new();
    v.require(
        "content_type",
        ext.is_some(),
        "muss image/png, image/jpeg oder image/webp sein",
    );
    v.require(
        "size_bytes",
        (1..=MAX_LOGO_BYTES).contains(&body.size_bytes),
        "muss zwischen 1 Byte und 5 MB (5242880 Bytes) liegen",
    );
    v.finish()?;
    let Some(ext) = ext else {
        return Err(Error::field("content_type", "fehlt"));
    };
    let key = logo::upload_key(&auth.partner_id, ext);
    let upload = state
        .blobs
        .presign_put_exact(&key, &content_type, body.size_bytes, UPLOAD_URL_LIFETIME)
        .await?;
    state
        .table
        .update(
            &partner_key(&auth.partner_id),
            &[Update::Set(attr::LOGO_PENDING_KEY, key.into())],
            Cond::Exists,
        )
        .await?;
    Ok(Json(json!({ "upload": upload })))
}

#[cfg(test)]
mod tests {
    use super::valid_vat_id;

    #[test]
    fn vat_ids() {
        assert_eq!(
            valid_vat_id("de 123 456 789"),
            Ok("DE123456789".to_string())
        );
        assert!(valid_vat_id("DE12345678").is_err());
        assert!(valid_vat_id("ATU12345678").is_ok());
        assert!(valid_vat_id("1").is_err());
    }
}
