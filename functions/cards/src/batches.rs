//! Card batches: numbers with a Luhn check digit, each with a printed activation code
//! (only its hash is stored), and a CSV for the print shop behind a presigned link.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rand::Rng;
use serde::{Deserialize, Serialize};
use shared::auth::PartnerAuth;
use shared::domain::RecordId;
use shared::domain::{PartnerId, new_id};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, Validator};
use shared::model::contracts::cards::{self as contract, CONTRACT_OP};
use shared::model::partners::partner_pk;
use shared::model::to_item;
use shared::openapi::Unprocessable;
use shared::store::{Cond, Key, StoreError, TxOp};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::card::{self, Card, CardStatus};
use crate::files::{self, LINK_LIFETIME};
use crate::{german_csv, luhn, programs};

const BATCH_PREFIX: &str = "CARDS#BATCH#";
/// One transaction writes the batch, all its cards with their list entries and a check of
/// the contract: at most 100 operations.
pub const MAX_BATCH: u32 = 49;
/// Unambiguous when printed and typed: no 0/O, 1/I/L.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 10;
const CARD_OP: &str = "card";
pub const PRINT_HEADERS: [&str; 2] = ["Kartennummer", "Aktivierungscode"];

pub fn batch_key(partner: &PartnerId, batch_id: &str) -> Key {
    Key::new(partner_pk(partner), format!("{BATCH_PREFIX}{batch_id}"))
}

/// Where a batch's print file lies in the bucket.
pub fn csv_object(partner: &PartnerId, batch_id: &str) -> String {
    files::print_file_object(partner, batch_id)
}

fn activation_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"count": 20}))]
pub struct NewBatch {
    #[schema(minimum = 1, maximum = 49)]
    pub count: u32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchCreated {
    pub batch_id: String,
    pub count: u32,
    pub numbers: Vec<String>,
    /// The print shop's CSV (number, activation code, barcode value); a presigned link.
    pub csv_url: String,
    pub csv_expires_in_seconds: u64,
    /// The last day the print file can be fetched: then it is deleted, since it holds the
    /// activation codes in clear (Europe/Berlin).
    pub csv_available_until: jiff::civil::Date,
}

#[derive(Debug, Serialize, Deserialize)]
struct Batch {
    batch_id: String,
    program_id: String,
    count: u32,
    csv_object: String,
    created_at: jiff::Timestamp,
}

/// The print file for a German spreadsheet ([`crate::german_csv`]): the number as printed
/// on the card, in blocks of four, and the activation code. The barcode encodes the
/// number's 16 digits (Code 128, code set C; `GET /cards/cards/{number}/barcode`).
pub fn print_csv(cards: &[(String, String)]) -> Result<Vec<u8>> {
    let rows: Vec<[String; 2]> = cards
        .iter()
        .map(|(number, code)| [german_csv::card_number(number), german_csv::text(code)])
        .collect();
    german_csv::file(PRINT_HEADERS, &rows)
}

/// Issue a batch of cards for a program.
#[utoipa::path(post, path = "/cards/programs/{program_id}/batches", tag = "cards",
    params(("program_id" = RecordId, Path, description = "The program.")),
    request_body = NewBatch,
    responses(
        (status = 201, description = "The cards and the print file.", body = BatchCreated),
        (status = 422, response = Unprocessable),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(program_id): ApiPath<RecordId>,
    ApiJson(body): ApiJson<NewBatch>,
) -> Result<(StatusCode, Json<BatchCreated>)> {
    let program_id = program_id.into_string();
    let mut v = Validator::new();
    v.require(
        "count",
        (1..=MAX_BATCH).contains(&body.count),
        "muss zwischen 1 und 49 liegen",
    );
    v.finish()?;
    let table = state.table.as_ref();
    let program = programs::load(table, &auth.partner_id, &program_id).await?;
    let c = contract::require(table, &auth.partner_id).await?;
    let today = state.clock.today();
    if !c.runs_on(today) {
        return Err(Error::Unprocessable(
            "Der Kartenvertrag ist beendet.".into(),
        ));
    }
    let batch_id = new_id();
    let object = csv_object(&auth.partner_id, &batch_id);
    let printed: Vec<(String, String)> = (0..body.count)
        .map(|_| (luhn::generate(), activation_code()))
        .collect();
    let mut ops = Vec::with_capacity(2 * printed.len() + 1);
    let batch = Batch {
        batch_id: batch_id.clone(),
        program_id: program.program_id.clone(),
        count: body.count,
        csv_object: object.clone(),
        created_at: state.clock.now(),
    };
    ops.push(
        TxOp::Put {
            item: to_item(&batch_key(&auth.partner_id, &batch_id), &batch)?,
            cond: Cond::NotExists,
        }
        .named("batch"),
    );
    for (number, code) in &printed {
        let card = Card {
            number: number.clone(),
            partner_id: auth.partner_id.clone(),
            program_id: program.program_id.clone(),
            program_name: program.name.clone(),
            rules: program.rules.clone(),
            status: CardStatus::Active,
            balance: 0,
            pending: 0,
            debited: 0,
            expiring_total: 0,
            activation_hash: Card::activation_hash(number, code),
            batch_id: batch_id.clone(),
            issued_on: today,
            holder_account: None,
            holder_first_name: None,
            loaded_on: None,
            valid_until: None,
            last_booking_on: None,
            replaced_by: None,
            // A card issued after the cancellation knows the end, as the older ones do.
            contract_ends_on: c.ends_on,
        };
        // A number drawn twice (1 in 10^11) fails the batch as a whole; it is retried.
        ops.push(
            TxOp::Put {
                item: card.to_item()?,
                cond: Cond::NotExists,
            }
            .named(CARD_OP),
        );
        ops.push(card::index_put(&card)?);
    }
    // Issued on the contract as read: a cancellation in between fails the batch, so no
    // card misses the contract's end.
    ops.push(
        TxOp::Check {
            key: c.key(),
            cond: match c.ends_on {
                Some(end) => Cond::Eq(contract::attr::ENDS_ON, end.to_string().into()),
                None => Cond::Absent(contract::attr::ENDS_ON),
            },
        }
        .named(CONTRACT_OP),
    );
    // The file first: a batch never exists without its print file.
    state
        .blobs
        .put(&object, "text/csv; charset=utf-8", print_csv(&printed)?)
        .await?;
    match table.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled {
            failed: CONTRACT_OP,
        }) => {
            return Err(Error::Conflict(
                "Der Kartenvertrag wurde soeben geändert; bitte noch einmal versuchen.".into(),
            ));
        }
        Err(StoreError::TxCancelled { failed: CARD_OP }) => {
            return Err(Error::Conflict(
                "Eine Kartennummer war bereits vergeben; bitte noch einmal versuchen.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let csv_url = state.blobs.presign_get(&object, LINK_LIFETIME).await?;
    tracing::info!(count = body.count, "card batch issued");
    Ok((
        StatusCode::CREATED,
        Json(BatchCreated {
            batch_id,
            count: body.count,
            numbers: printed.into_iter().map(|(n, _)| n).collect(),
            csv_url,
            csv_expires_in_seconds: LINK_LIFETIME.as_secs(),
            csv_available_until: files::available_until(state.clock.now()),
        }),
    ))
}
