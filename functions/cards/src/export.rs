//! The export, at any time (also after the contract ended): every cardholder (decrypted for
//! the merchant) and every booking as CSV for a German spreadsheet ([`crate::german_csv`])
//! into S3, presigned download links in the answer and by mail.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::auth::PartnerAuth;
use shared::domain::new_id;
use shared::env::AppState;
use shared::mail::pending::PendingMails;
use shared::mail::{Mail, Template};
use shared::model::from_item;
use shared::model::partners::{Partner, partner_key};
use shared::{Error, Result};
use std::collections::HashMap;
use utoipa::ToSchema;

use crate::booking::Booking;
use crate::card::{self, Card};
use crate::files::{self, LINK_LIFETIME};
use crate::german_csv;
use crate::holders::{self, Holder, PersonalData};
use crate::ledger;
use crate::programs::Rules;

const EXPORT_READY: Template = Template {
    text: include_str!("../templates/export_ready.txt"),
    html: include_str!("../templates/export_ready.html"),
};

pub const CARDHOLDER_HEADERS: [&str; 9] = [
    "Kartennummer",
    "Vorname",
    "Nachname",
    "E-Mail",
    "Geschlecht",
    "Geburtsjahr",
    "PLZ",
    "Registriert am",
    "Einwilligung am",
];

pub const BOOKING_HEADERS: [&str; 12] = [
    "Buchungs-ID",
    "Kartennummer",
    "Programm-ID",
    "Art",
    "Änderung",
    "Einheit",
    "Vorgemerkt",
    "Wert (€)",
    "Zeitpunkt",
    "Datum",
    "Bezug",
    "Storniert durch",
];

pub fn cardholders_csv(rows: &[(Holder, PersonalData)]) -> Result<Vec<u8>> {
    let rows: Vec<[String; 9]> = rows
        .iter()
        .map(|(h, d)| {
            [
                german_csv::card_number(&h.number),
                german_csv::text(&d.first_name),
                german_csv::text(&d.last_name),
                german_csv::text(d.email.as_str()),
                d.gender.map(|g| g.german()).unwrap_or_default().into(),
                d.birth_year.map(|y| y.to_string()).unwrap_or_default(),
                d.postal_code
                    .as_deref()
                    .map(german_csv::postal_code)
                    .unwrap_or_default(),
                german_csv::date(h.registered_on),
                german_csv::instant(h.consent_at),
            ]
        })
        .collect();
    german_csv::file(CARDHOLDER_HEADERS, &rows)
}

/// The bookings of `cards` (their ledgers in `rows`): a change of money in euros, of
/// points and stamps in its unit.
pub fn bookings_csv(cards: &[Card], rows: &[Booking]) -> Result<Vec<u8>> {
    let units: HashMap<&str, &Rules> = cards
        .iter()
        .map(|c| (c.number.as_str(), &c.rules))
        .collect();
    let rows: Vec<[String; 12]> = rows
        .iter()
        .map(|b| {
            let money = matches!(
                units.get(b.number.as_str()),
                Some(Rules::Prepaid { .. } | Rules::Gift { .. })
            );
            let (change, unit) = match units.get(b.number.as_str()) {
                _ if money => (german_csv::euros(b.amount), "€"),
                Some(rules) => (b.amount.to_string(), rules.unit()),
                None => (b.amount.to_string(), ""),
            };
            [
                german_csv::text(&b.booking_id),
                german_csv::card_number(&b.number),
                german_csv::text(&b.program_id),
                b.kind.german().into(),
                change,
                unit.into(),
                b.pending_amount.to_string(),
                german_csv::euros(b.value_cents),
                german_csv::instant(b.booked_at),
                german_csv::date(b.booked_on),
                german_csv::text(b.refers_to.as_deref().unwrap_or_default()),
                german_csv::text(b.voided_by.as_deref().unwrap_or_default()),
            ]
        })
        .collect();
    german_csv::file(BOOKING_HEADERS, &rows)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ExportReady {
    pub export_id: String,
    pub cardholders: usize,
    pub bookings: usize,
    /// Presigned download links, valid 7 days.
    pub cardholders_url: String,
    pub bookings_url: String,
    /// The last day the files can be fetched: then they are deleted (Europe/Berlin).
    pub available_until: jiff::civil::Date,
}

/// Export every cardholder and every booking as CSV; the links come in the answer and by
/// mail to the merchant.
#[utoipa::path(post, path = "/cards/exports", tag = "cards",
    responses((status = 201, description = "The export and its links.", body = ExportReady)))]
pub async fn create(
    State(state): State<AppState>,
    auth: PartnerAuth,
) -> Result<(StatusCode, Json<ExportReady>)> {
    let table = state.table.as_ref();
    let partner: Partner = from_item(
        table
            .get(&partner_key(&auth.partner_id))
            .await?
            .ok_or_else(|| Error::NotFound("Partner nicht gefunden.".into()))?,
    )?;
    let mut holders = holders::all_of(&state, &auth.partner_id).await?;
    holders.sort_by(|a, b| a.0.number.cmp(&b.0.number));
    let cards = card::all_of(table, &auth.partner_id).await?;
    let bookings = ledger::all_bookings(table, &cards).await?;
    let export_id = new_id();
    let holders_object = files::export_object(&auth.partner_id, &export_id, "karteninhaber.csv");
    let bookings_object = files::export_object(&auth.partner_id, &export_id, "buchungen.csv");
    let blobs = &state.blobs;
    blobs
        .put(
            &holders_object,
            "text/csv; charset=utf-8",
            cardholders_csv(&holders)?,
        )
        .await?;
    blobs
        .put(
            &bookings_object,
            "text/csv; charset=utf-8",
            bookings_csv(&cards, &bookings)?,
        )
        .await?;
    let ready = ExportReady {
        export_id,
        cardholders: holders.len(),
        bookings: bookings.len(),
        cardholders_url: blobs.presign_get(&holders_object, LINK_LIFETIME).await?,
        bookings_url: blobs.presign_get(&bookings_object, LINK_LIFETIME).await?,
        available_until: files::available_until(state.clock.now()),
    };
    let mail = Mail::render(
        &partner.email,
        EXPORT_READY,
        &[
            ("name", &partner.contact_name),
            ("cardholders", &ready.cardholders.to_string()),
            ("bookings", &ready.bookings.to_string()),
            ("cardholders_link", &ready.cardholders_url),
            ("bookings_link", &ready.bookings_url),
            ("until", &shared::clock::german_date(ready.available_until)),
        ],
    );
    PendingMails::of(&state).send_alone(mail).await?;
    tracing::info!(partner_id = %auth.partner_id, "card export ready");
    Ok((StatusCode::CREATED, Json(ready)))
}
