//! `PUT /partners/me/sepa-mandate`: the SEPA direct-debit mandate for the platform fees.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use shared::auth::PartnerAuth;
use shared::domain::{Iban, SEPA_NAME_MAX_CHARS, short_code};
use shared::http::{ApiJson, Validator};
use shared::openapi::{Conflict, NotFound};
use shared::store::{Cond, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use shared::env::AppState;
use shared::model::partners::{Mandate, attr, partner_key};

use crate::profile::MandateView;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"account_holder": "Bäckerei Müller GmbH", "iban": "DE89 3704 0044 0532 0130 00"}))]
pub struct MandateInput {
    /// The debtor's name, 1–70 characters.
    pub account_holder: String,
    /// With or without spaces; checked for country format and check digits.
    pub iban: String,
}

/// SEPA allows 35 characters from a restricted set; ours are `PN-` and 16 base62 characters.
fn new_reference() -> String {
    format!("PN-{}", short_code(16))
}

/// Give (or replace) the SEPA direct-debit mandate for the platform fees.
///
/// The IBAN is stored encrypted and shown masked; reference and date are assigned.
#[utoipa::path(put, path = "/partners/me/sepa-mandate", tag = "profile", request_body = MandateInput,
    responses(
        (status = 200, description = "The mandate.", body = MandateView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ))]
pub async fn put_mandate(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiJson(body): ApiJson<MandateInput>,
) -> Result<Json<MandateView>> {
    let mut v = Validator::new();
    // The debtor's name goes into the pain.008 file: the DK character set, 70 characters.
    let holder = v.sepa_text("account_holder", &body.account_holder, SEPA_NAME_MAX_CHARS);
    let iban = v.check("iban", Iban::parse(&body.iban));
    v.finish()?;
    let (Some(holder), Some(iban)) = (holder, iban) else {
        return Err(Error::field("iban", "fehlt"));
    };
    let mandate = Mandate {
        account_holder: holder.into_string(),
        iban_sealed: state.data_key()?.seal(iban.electronic()),
        iban_masked: iban.masked(),
        reference: new_reference(),
        signed_on: state.clock.today(),
    };
    state
        .table
        .update(
            &partner_key(&auth.partner_id),
            &[Update::Set(attr::MANDATE, serde_json::to_value(&mandate)?)],
            Cond::Exists,
        )
        .await?;
    tracing::info!(partner_id = %auth.partner_id, "sepa mandate stored");
    Ok(Json(MandateView {
        account_holder: mandate.account_holder,
        iban: mandate.iban_masked,
        reference: mandate.reference,
        signed_on: mandate.signed_on,
    }))
}
