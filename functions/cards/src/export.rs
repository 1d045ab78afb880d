//! The export, at any time (also after the contract ended): every cardholder (decrypted for
//! the merchant) and every booking as CSV (docs/architecture.md §10: BOM, `;`, German headers)
//! into S3, presigned download links in the answer and by mail.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::auth::PartnerAuth;
use shared::domain::{PartnerId, new_id};
use shared::env::AppState;
use shared::mail::pending::PendingMails;
use shared::mail::{Mail, Template};
use shared::model::from_item;
use shared::model::partners::{Partner, partner_key};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::booking::Booking;
use crate::card;
use crate::holders::{self, Holder, PersonalData};

const LINK_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
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

pub const BOOKING_HEADERS: [&str; 11] = [
    "Buchungs-ID",
    "Kartennummer",
    "Programm-ID",
    "Art",
    "Betrag",
    "Vorgemerkt",
    "Wert (Cent)",
    "Zeitpunkt (UTC)",
    "Datum",
    "Bezug",
    "Storniert durch",
];

fn object(partner: &PartnerId, export_id: &str, file: &str) -> String {
    format!("cards/{partner}/exports/{export_id}/{file}")
}

fn writer(out: &mut Vec<u8>) -> csv::Writer<&mut Vec<u8>> {
    // Excel in Germany reads UTF-8 only with the BOM, and `;` as the separator.
    out.extend_from_slice("\u{feff}".as_bytes());
    csv::WriterBuilder::new().delimiter(b';').from_writer(out)
}

pub fn cardholders_csv(rows: &[(Holder, PersonalData)]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut w = writer(&mut out);
        w.write_record(CARDHOLDER_HEADERS)
            .map_err(Error::internal)?;
        for (h, d) in rows {
            w.write_record([
                h.number.as_str(),
                &d.first_name,
                &d.last_name,
                d.email.as_str(),
                d.gender.map(|g| g.german()).unwrap_or_default(),
                &d.birth_year.map(|y| y.to_string()).unwrap_or_default(),
                d.postal_code.as_deref().unwrap_or_default(),
                &h.registered_on.to_string(),
                &h.consent_at.to_string(),
            ])
            .map_err(Error::internal)?;
        }
        w.flush().map_err(Error::internal)?;
    }
    Ok(out)
}

pub fn bookings_csv(rows: &[Booking]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut w = writer(&mut out);
        w.write_record(BOOKING_HEADERS).map_err(Error::internal)?;
        for b in rows {
            w.write_record([
                b.booking_id.as_str(),
                &b.number,
                &b.program_id,
                b.kind.german(),
                &b.amount.to_string(),
                &b.pending_amount.to_string(),
                &b.value_cents.to_string(),
                &b.booked_at.to_string(),
                &b.booked_on.to_string(),
                b.refers_to.as_deref().unwrap_or_default(),
                b.voided_by.as_deref().unwrap_or_default(),
            ])
            .map_err(Error::internal)?;
        }
        w.flush().map_err(Error::internal)?;
    }
    Ok(out)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ExportReady {
    pub export_id: String,
    pub cardholders: usize,
    pub bookings: usize,
    /// Presigned download links, valid 7 days.
    pub cardholders_url: String,
    pub bookings_url: String,
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
    let bookings = holders::all_bookings(table, &cards).await?;
    let export_id = new_id();
    let holders_object = object(&auth.partner_id, &export_id, "karteninhaber.csv");
    let bookings_object = object(&auth.partner_id, &export_id, "buchungen.csv");
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
            bookings_csv(&bookings)?,
        )
        .await?;
    let ready = ExportReady {
        export_id,
        cardholders: holders.len(),
        bookings: bookings.len(),
        cardholders_url: blobs.presign_get(&holders_object, LINK_LIFETIME).await?,
        bookings_url: blobs.presign_get(&bookings_object, LINK_LIFETIME).await?,
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
        ],
    );
    PendingMails::of(&state).send_alone(mail).await?;
    tracing::info!(partner_id = %auth.partner_id, "card export ready");
    Ok((StatusCode::CREATED, Json(ready)))
}
