//! Premium placements: the operator's kinds per platform, the partners' bookings per month
//! (a conditional slot counter decides races), and cancelling before the month starts.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::auth::{Authenticated, OperatorAuth, PartnerAuth, Role};
use shared::domain::{Cents, PartnerId, PlatformId};
use shared::domain::{Month, RecordId};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, ApiQuery, Validator};
use shared::model::placements::{
    BookingState, PlacementBooking, PlacementKind, all_bookings_of, attr, booking_key,
    bookings_from, bookings_of, kind_key, kinds_of, slots_between, slots_key, slots_month,
};
use shared::model::platforms::platform_key;
use shared::model::{billable, from_item};
use shared::openapi::{Conflict, Unprocessable};
use shared::store::{Cond, Consistency, StoreError, TxOp, Update};
use shared::{Error, FieldError, Result};
use utoipa::{IntoParams, ToSchema};

use crate::offer::{self, changed_meanwhile, save_op, step};
use crate::{bookings, listing, subscription};

/// Placements are booked at most this many months ahead (the current month counts as 0).
pub const MAX_MONTHS_AHEAD: i32 = 6;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Top-Platzierung", "price_cents": 4900, "slots_per_month": 3}))]
pub struct KindInput {
    /// Up to 100 characters.
    pub name: String,
    /// Net price per calendar month.
    pub price_cents: i64,
    /// How many partners may book it per month (1–100).
    pub slots_per_month: u32,
}

/// Define a placement kind on a platform.
#[utoipa::path(post, path = "/platforms/{platform_id}/placement-kinds", tag = "placements",
    params(("platform_id" = PlatformId, Path, description = "The platform.")),
    request_body = KindInput,
    responses((status = 201, description = "The kind.", body = PlacementKind)))]
pub async fn create_kind(
    State(state): State<AppState>,
    _operator: OperatorAuth,
    ApiPath(platform_id): ApiPath<PlatformId>,
    ApiJson(body): ApiJson<KindInput>,
) -> Result<(StatusCode, Json<PlacementKind>)> {
    let mut v = Validator::new();
    let name = v.text("name", &body.name, 100);
    let price = v.cents("price_cents", body.price_cents);
    v.require(
        "slots_per_month",
        (1..=100).contains(&body.slots_per_month),
        "muss zwischen 1 und 100 liegen",
    );
    v.finish()?;
    if state
        .table
        .get(&platform_key(&platform_id))
        .await?
        .is_none()
    {
        return Err(Error::NotFound("Plattform nicht gefunden.".into()));
    }
    let (Some(name), Some(price)) = (name, price) else {
        return Err(Error::field("body", "ist unvollständig"));
    };
    let kind = PlacementKind {
        kind_id: shared::domain::new_id(),
        platform_id,
        name,
        price,
        slots_per_month: body.slots_per_month,
        created_at: state.clock.now(),
        price_changes: Vec::new(),
        retired_at: None,
        revision: 0,
    };
    state.table.put(kind.to_item()?, Cond::NotExists).await?;
    Ok((StatusCode::CREATED, Json(kind)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KindList {
    /// Each with the price of the current month (Europe/Berlin) in `price_cents`, the
    /// changes stated for later months in `price_changes`, and `retired_at` once retired.
    pub kinds: Vec<PlacementKind>,
}

/// A platform's placement kinds with their current prices, retired ones too.
#[utoipa::path(get, path = "/platforms/{platform_id}/placement-kinds", tag = "placements",
    params(("platform_id" = PlatformId, Path, description = "The platform.")),
    responses((status = 200, description = "Every kind.", body = KindList)))]
pub async fn list_kinds(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ApiPath(platform_id): ApiPath<PlatformId>,
) -> Result<Json<KindList>> {
    sees_prices(&claims)?;
    let this_month = Month::of(state.clock.today());
    let items = state.table.query_all(kinds_of(&platform_id)).await?;
    let kinds = items
        .into_iter()
        .map(|item| from_item::<PlacementKind>(item).map(|k| k.as_of(this_month)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Json(KindList { kinds }))
}

/// Whether the caller may see a platform's placement prices: a partner, a manager or the
/// operator, each in its own scope.
fn sees_prices(claims: &shared::auth::Claims) -> Result<()> {
    let allowed = matches!(claims.role, Role::Partner | Role::Manager | Role::Operator)
        && claims.scope.admits(claims.role);
    if allowed {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "Diese Funktion steht Ihrer Rolle nicht zur Verfügung.".into(),
        ))
    }
}

/// The free slots of a kind in one month.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthSlots {
    pub month: Month,
    /// Slots still free (0 when every slot is booked).
    pub free: u32,
    /// Net price of a booking for this month.
    pub price_cents: Cents,
}

/// A placement kind with its free slots in each bookable month.
#[derive(Debug, Serialize, ToSchema)]
pub struct KindSlots {
    pub kind_id: String,
    pub name: String,
    /// Net price per calendar month, this month's (each month's in `months`).
    pub price_cents: Cents,
    pub slots_per_month: u32,
    /// This month and the six after it, in order.
    pub months: Vec<MonthSlots>,
}

/// A platform's placement kinds with their free slots per bookable month.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlacementSlots {
    pub platform_id: PlatformId,
    /// The current month (Europe/Berlin): placements are booked for it and up to six months
    /// ahead, and cancelled only until their month starts, so this month's are final.
    pub this_month: Month,
    pub kinds: Vec<KindSlots>,
}

/// The months a placement can be booked in, seen in `current`: it and the six after it.
pub fn bookable_months(current: Month) -> Vec<Month> {
    let mut months = vec![current];
    for _ in 0..MAX_MONTHS_AHEAD {
        if let Some(last) = months.last() {
            months.push(last.next());
        }
    }
    months
}

/// A platform's placement kinds with their prices and the slots still free in this month
/// and each of the six after it.
#[utoipa::path(get, path = "/platforms/{platform_id}/placement-slots", tag = "placements",
    params(("platform_id" = PlatformId, Path, description = "The platform.")),
    responses((status = 200, description = "Every kind with its free slots.", body = PlacementSlots)))]
pub async fn slots(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ApiPath(platform_id): ApiPath<PlatformId>,
) -> Result<Json<PlacementSlots>> {
    sees_prices(&claims)?;
    let this_month = Month::of(state.clock.today());
    let months = bookable_months(this_month);
    let last = months.last().copied().unwrap_or(this_month);
    let kinds = state
        .table
        .query_all(kinds_of(&platform_id))
        .await?
        .into_iter()
        .map(from_item::<PlacementKind>)
        .collect::<Result<Vec<_>>>()?;
    let mut out = Vec::with_capacity(kinds.len());
    // A retired kind takes no more bookings.
    for kind in kinds.into_iter().filter(|k| k.retired_at.is_none()) {
        let counters = state
            .table
            .query_all(slots_between(&platform_id, &kind.kind_id, this_month, last))
            .await?;
        let taken = |month: Month| -> u32 {
            counters
                .iter()
                .find(|item| {
                    shared::store::Key::of(item).and_then(|k| slots_month(&k.sk)) == Some(month)
                })
                .and_then(|item| item.get(attr::TAKEN))
                .and_then(serde_json::Value::as_u64)
                .map_or(0, |t| u32::try_from(t).unwrap_or(u32::MAX))
        };
        out.push(KindSlots {
            months: months
                .iter()
                .map(|&month| MonthSlots {
                    month,
                    free: kind.slots_per_month.saturating_sub(taken(month)),
                    price_cents: kind.price_in(month),
                })
                .collect(),
            price_cents: kind.price_in(this_month),
            kind_id: kind.kind_id,
            name: kind.name,
            slots_per_month: kind.slots_per_month,
        });
    }
    Ok(Json(PlacementSlots {
        platform_id,
        this_month,
        kinds: out,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = PlacementBookingInput)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"platform_id": "0191f7a8-0000-7000-8000-000000000000", "kind_id": "0191f7a8-0000-7000-8000-000000000001", "month": "2026-12"}))]
pub struct BookingInput {
    pub platform_id: PlatformId,
    pub kind_id: String,
    pub month: Month,
}

/// Why a retired kind is not booked.
fn retired() -> FieldError {
    FieldError::new(
        "kind_id",
        "wird nicht mehr angeboten; bitte wählen Sie eine andere Platzierungsart",
    )
}

fn month_rules(v: &mut Validator, month: Month, current: Month) {
    let ahead = current.months_until(month);
    v.require("month", ahead >= 0, "liegt in der Vergangenheit");
    v.require(
        "month",
        ahead <= MAX_MONTHS_AHEAD,
        "darf höchstens sechs Monate im Voraus liegen",
    );
}

/// How a booking request ended.
#[derive(Debug)]
pub enum BookingOutcome {
    Booked(PlacementBooking),
    /// The offer is placed there in that month already.
    AlreadyPlaced(Month),
    /// Every slot of the kind is taken in that month.
    SoldOut {
        kind: String,
        month: Month,
    },
    /// The offer cannot be shown there in that month: the field at fault and why.
    NotShowable(FieldError),
    /// The operator retired the kind: it takes no new bookings.
    Retired,
}

/// Book a placement of an approved offer for a platform and month while a slot is free, in a
/// month the offer can be shown in there (inside its validity, while the subscription runs).
#[utoipa::path(post, path = "/offers/{offer_id}/placements", tag = "placements",
    params(("offer_id" = RecordId, Path, description = "One of the partner's offers.")),
    request_body = BookingInput,
    responses(
        (status = 201, description = "Booked; billed for that month.", body = PlacementBooking),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ))]
pub async fn book(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(offer_id): ApiPath<RecordId>,
    ApiJson(body): ApiJson<BookingInput>,
) -> Result<(StatusCode, Json<PlacementBooking>)> {
    let offer_id = offer_id.into_string();
    match book_placement(&state, &auth.partner_id, &offer_id, &body).await? {
        BookingOutcome::Booked(booking) => Ok((StatusCode::CREATED, Json(booking))),
        BookingOutcome::AlreadyPlaced(month) => Err(Error::Conflict(format!(
            "Für {month} ist das Angebot hier bereits platziert."
        ))),
        BookingOutcome::SoldOut { kind, month } => Err(Error::Conflict(format!(
            "„{kind}“ ist für {month} bereits ausgebucht."
        ))),
        BookingOutcome::NotShowable(error) => Err(Error::UnprocessableFields {
            detail: format!(
                "Im Monat {} kann das Angebot auf dieser Plattform nicht gezeigt werden.",
                body.month
            ),
            errors: vec![error],
        }),
        BookingOutcome::Retired => Err(Error::UnprocessableFields {
            detail: "Diese Platzierungsart wird nicht mehr angeboten.".into(),
            errors: vec![retired()],
        }),
    }
}

/// Books `input` for the partner's offer: the slot, the booking, the offer's placed months and
/// its feed entries in one transaction.
pub async fn book_placement(
    state: &AppState,
    partner: &PartnerId,
    offer_id: &str,
    input: &BookingInput,
) -> Result<BookingOutcome> {
    let mut offer = offer::load_own(state.table.as_ref(), offer_id, partner).await?;
    let today = state.clock.today();
    let current = Month::of(today);
    let mut v = Validator::new();
    month_rules(&mut v, input.month, current);
    v.finish()?;
    let kind: PlacementKind = match state
        .table
        .get(&kind_key(&input.platform_id, &input.kind_id))
        .await?
    {
        Some(item) => from_item(item)?,
        None => {
            return Err(Error::field(
                "kind_id",
                "ist keine Platzierungsart dieser Plattform",
            ));
        }
    };
    if kind.retired_at.is_some() {
        return Ok(BookingOutcome::Retired);
    }
    let key = booking_key(partner, input.month, &input.platform_id, &offer.offer_id);
    // A cancelled booking keeps its key: it may be booked again, a booked one not twice.
    let booking_cond = match state.table.get(&key).await? {
        None => Cond::NotExists,
        Some(item) => match from_item::<PlacementBooking>(item)?.state {
            BookingState::Cancelled => {
                Cond::Eq(attr::STATE, BookingState::Cancelled.as_str().into())
            }
            BookingState::Booked => return Ok(BookingOutcome::AlreadyPlaced(input.month)),
        },
    };
    let before = offer.clone();
    let read = offer.version;
    let on = offer
        .states
        .get_mut(&input.platform_id)
        .filter(|s| s.live.is_some())
        .ok_or_else(|| {
            Error::Unprocessable(
                "Platzierungen gibt es nur für Angebote, die auf dieser Plattform freigegeben sind."
                    .into(),
            )
        })?;
    if on.placed_months.contains(&input.month) {
        return Ok(BookingOutcome::AlreadyPlaced(input.month));
    }
    if let Some(live) = &on.live {
        let app = subscription::load(
            state.table.as_ref(),
            partner,
            &input.platform_id,
            Consistency::Strong,
        )
        .await?;
        if let Err(error) = bookings::showable_in(input.month, today, &live.content, app.as_ref()) {
            return Ok(BookingOutcome::NotShowable(error));
        }
    }
    on.placed_months.retain(|m| *m >= current);
    on.placed_months.push(input.month);
    on.placed_months.sort();
    offer.updated_at = state.clock.now();
    offer.version += 1;
    let booking = PlacementBooking {
        partner_id: partner.clone(),
        platform_id: input.platform_id.clone(),
        offer_id: offer.offer_id.clone(),
        kind_id: kind.kind_id.clone(),
        kind_name: kind.name.clone(),
        month: input.month,
        price: kind.price_in(input.month),
        state: BookingState::Booked,
        booked_at: state.clock.now(),
        cancelled_at: None,
    };
    let mut ops = vec![
        TxOp::Update {
            key: slots_key(&input.platform_id, &kind.kind_id, input.month),
            ops: vec![Update::Add(attr::TAKEN, 1)],
            cond: Cond::LtOrAbsent(attr::TAKEN, i64::from(kind.slots_per_month)),
        }
        .named(step::SLOT),
        TxOp::Put {
            item: booking.to_item()?,
            cond: booking_cond,
        }
        .named(step::BOOKING),
        save_op(&offer, read)?.named(step::OFFER),
        billable::mark(partner).named(step::BILLABLE),
        // Retired meanwhile, and it takes no booking; repriced meanwhile, and the price
        // read is no longer the one to fix.
        TxOp::Check {
            key: kind_key(&input.platform_id, &kind.kind_id),
            cond: Cond::All(vec![
                Cond::Absent(shared::model::placements::kind_attr::RETIRED_AT),
                kind.unchanged(),
            ]),
        }
        .named(step::KIND),
    ];
    ops.extend(listing::sync(&before, &offer, &input.platform_id)?);
    match state.table.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled { failed: step::KIND }) => return Err(changed_meanwhile()),
        Err(StoreError::TxCancelled { failed: step::SLOT }) => {
            return Ok(BookingOutcome::SoldOut {
                kind: kind.name,
                month: input.month,
            });
        }
        Err(StoreError::TxCancelled { .. }) => return Err(changed_meanwhile()),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(offer_id = %offer.offer_id, platform_id = %input.platform_id, month = %input.month, "placement booked");
    Ok(BookingOutcome::Booked(booking))
}

/// Cancel a booking before its month starts.
#[utoipa::path(delete, path = "/offers/{offer_id}/placements/{platform_id}/{month}", tag = "placements",
    params(
        ("offer_id" = RecordId, Path, description = "One of the partner's offers."),
        ("platform_id" = PlatformId, Path, description = "The platform of the booking."),
        ("month" = Month, Path, description = "The booked month, JJJJ-MM."),
    ),
    responses(
        (status = 200, description = "Cancelled; not billed.", body = PlacementBooking),
        (status = 409, response = Conflict),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath((offer_id, platform_id, month)): ApiPath<(RecordId, PlatformId, String)>,
) -> Result<Json<PlacementBooking>> {
    let offer_id = offer_id.into_string();
    let month: Month = month.parse().map_err(|m: &str| Error::field("month", m))?;
    let mut offer = offer::load_own(state.table.as_ref(), &offer_id, &auth.partner_id).await?;
    let item = state
        .table
        .get(&booking_key(
            &auth.partner_id,
            month,
            &platform_id,
            &offer_id,
        ))
        .await?
        .ok_or_else(|| Error::NotFound("Buchung nicht gefunden.".into()))?;
    let booking: PlacementBooking = from_item(item)?;
    if booking.state != BookingState::Booked {
        return Err(Error::Conflict("Die Buchung ist bereits storniert.".into()));
    }
    let current = Month::of(state.clock.today());
    if month <= current {
        return Err(Error::Conflict(
            "Eine Platzierung kann nur bis zum Beginn ihres Monats storniert werden.".into(),
        ));
    }
    let before = offer.clone();
    let read = offer.version;
    if let Some(on) = offer.states.get_mut(&platform_id) {
        on.placed_months.retain(|m| *m != month && *m >= current);
    }
    offer.updated_at = state.clock.now();
    offer.version += 1;
    let (cancelled, mut ops) = bookings::cancel(&booking, state.clock.now())?;
    ops.push(save_op(&offer, read)?.named(step::OFFER));
    ops.extend(listing::sync(&before, &offer, &platform_id)?);
    match state.table.transact(ops).await {
        Ok(()) => Ok(Json(cancelled)),
        Err(StoreError::TxCancelled { .. }) => Err(changed_meanwhile()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthParam {
    /// Only this month's bookings (JJJJ-MM).
    pub month: Option<String>,
    /// Only the bookings of the current month and later (at most seven months), without
    /// `month`.
    pub upcoming: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingList {
    pub bookings: Vec<PlacementBooking>,
    /// Sum of the booked (not cancelled) prices listed.
    pub total_cents: Cents,
    /// The current month (Europe/Berlin): bookings of later months can still be cancelled.
    pub this_month: Month,
}

/// The partner's placement bookings, of one month, of this month and later, or all.
#[utoipa::path(get, path = "/partners/me/placements", tag = "placements",
    params(MonthParam),
    responses((status = 200, description = "The bookings.", body = BookingList)))]
pub async fn list_mine(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiQuery(q): ApiQuery<MonthParam>,
) -> Result<Json<BookingList>> {
    let this_month = Month::of(state.clock.today());
    let month = match q.month.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(m) => Some(m.parse().map_err(|e: &str| Error::field("month", e))?),
    };
    let query = match (month, q.upcoming.unwrap_or(false)) {
        (Some(_), true) => {
            return Err(Error::field(
                "upcoming",
                "lässt sich nicht mit month verbinden",
            ));
        }
        (Some(month), false) => bookings_of(&auth.partner_id, month),
        (None, true) => bookings_from(&auth.partner_id, this_month),
        (None, false) => all_bookings_of(&auth.partner_id),
    };
    let bookings = state
        .table
        .query_all(query)
        .await?
        .into_iter()
        .map(from_item::<PlacementBooking>)
        .collect::<Result<Vec<_>>>()?;
    let total = bookings
        .iter()
        .filter(|b| b.is_billable())
        .map(|b| b.price.0)
        .sum();
    Ok(Json(BookingList {
        bookings,
        total_cents: Cents(total),
        this_month,
    }))
}
