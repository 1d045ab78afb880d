//! The operator's changes to a placement kind: a new price from a month on, and retiring it.
//! A booking fixes its price when it is made, so months already booked (and billed) keep
//! theirs whatever changes later.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use shared::auth::OperatorAuth;
use shared::domain::{Month, PlatformId};
use shared::env::AppState;
use shared::error::FieldError;
use shared::http::{ApiJson, ApiPath, Validator};
use shared::model::from_item;
use shared::model::placements::{PlacementKind, kind_attr, kind_key};
use shared::openapi::{Conflict, Unprocessable};
use shared::store::{StoreError, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

async fn load_kind(
    state: &AppState,
    platform: &PlatformId,
    kind_id: &str,
) -> Result<PlacementKind> {
    let item = state
        .table
        .get(&kind_key(platform, kind_id))
        .await?
        .ok_or_else(|| Error::NotFound("Platzierungsart nicht gefunden.".into()))?;
    from_item(item)
}

fn changed_meanwhile() -> Error {
    Error::Conflict(
        "Die Platzierungsart wurde gerade anderweitig geändert. Bitte laden Sie sie neu.".into(),
    )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"from": "2027-01", "price_cents": 5900}))]
pub struct KindPriceInput {
    /// The first month booked at the new price: this month or a later one.
    #[schema(value_type = String, pattern = r"^20[0-9]{2}-(0[1-9]|1[0-2])$", example = "2027-01")]
    pub from: String,
    /// Net price per calendar month, up to 100.000,00 €.
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub price_cents: i64,
}

/// Reprice a placement kind from a month on.
///
/// New bookings of that month and later ones cost the new price (a change stated before for
/// a later month is replaced); bookings already made keep the price they were booked at,
/// so no booked or billed month changes. A month that has passed is refused (422 naming
/// `from`).
#[utoipa::path(post, path = "/platforms/{platform_id}/placement-kinds/{kind_id}/price-changes", tag = "placements",
    params(
        ("platform_id" = PlatformId, Path, description = "The platform."),
        ("kind_id" = String, Path, description = "The placement kind."),
    ),
    request_body = KindPriceInput,
    responses(
        (status = 200, description = "The kind with this month's price and the changes after it.", body = PlacementKind),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ))]
pub async fn reprice(
    State(state): State<AppState>,
    _operator: OperatorAuth,
    ApiPath((platform_id, kind_id)): ApiPath<(PlatformId, String)>,
    ApiJson(body): ApiJson<KindPriceInput>,
) -> Result<Json<PlacementKind>> {
    let mut v = Validator::new();
    let from = v.check("from", body.from.parse::<Month>());
    let price = v.cents("price_cents", body.price_cents);
    v.finish()?;
    let (Some(from), Some(price)) = (from, price) else {
        return Err(Error::field("from", "fehlt"));
    };
    let this_month = Month::of(state.clock.today());
    if from < this_month {
        return Err(Error::UnprocessableFields {
            detail: format!(
                "Der Monat {from} ist vergangen; ein Preis gilt erst ab diesem oder einem späteren Monat."
            ),
            errors: vec![FieldError::new(
                "from",
                "ist vergangen; bitte wählen Sie diesen oder einen späteren Monat",
            )],
        });
    }
    let mut kind = load_kind(&state, &platform_id, &kind_id).await?;
    let changes = kind.with_price_from(from, price, state.clock.now());
    let update = state
        .table
        .update(
            &kind_key(&platform_id, &kind_id),
            &[
                Update::Set(kind_attr::PRICE_CHANGES, serde_json::to_value(&changes)?),
                Update::Add(kind_attr::REVISION, 1),
            ],
            kind.unchanged(),
        )
        .await;
    match update {
        Ok(_) => {}
        Err(StoreError::ConditionFailed) => return Err(changed_meanwhile()),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(platform_id = %platform_id, kind_id = %kind_id, %from, "placement kind repriced");
    kind.price_changes = changes;
    kind.revision += 1;
    Ok(Json(kind.as_of(this_month)))
}

/// Retire a placement kind.
///
/// It takes no new bookings and leaves the partners' slot list; bookings already made stay,
/// are shown and billed. Retiring again changes nothing.
#[utoipa::path(post, path = "/platforms/{platform_id}/placement-kinds/{kind_id}/retire", tag = "placements",
    params(
        ("platform_id" = PlatformId, Path, description = "The platform."),
        ("kind_id" = String, Path, description = "The placement kind."),
    ),
    responses(
        (status = 200, description = "The retired kind.", body = PlacementKind),
        (status = 409, response = Conflict),
    ))]
pub async fn retire(
    State(state): State<AppState>,
    _operator: OperatorAuth,
    ApiPath((platform_id, kind_id)): ApiPath<(PlatformId, String)>,
) -> Result<Json<PlacementKind>> {
    let mut kind = load_kind(&state, &platform_id, &kind_id).await?;
    let this_month = Month::of(state.clock.today());
    if kind.retired_at.is_some() {
        return Ok(Json(kind.as_of(this_month)));
    }
    let now = state.clock.now();
    let update = state
        .table
        .update(
            &kind_key(&platform_id, &kind_id),
            &[
                Update::Set(kind_attr::RETIRED_AT, serde_json::to_value(now)?),
                Update::Add(kind_attr::REVISION, 1),
            ],
            kind.unchanged(),
        )
        .await;
    match update {
        Ok(_) => {}
        Err(StoreError::ConditionFailed) => return Err(changed_meanwhile()),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(platform_id = %platform_id, kind_id = %kind_id, "placement kind retired");
    kind.retired_at = Some(now);
    kind.revision += 1;
    Ok(Json(kind.as_of(this_month)))
}
