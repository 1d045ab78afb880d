//! A card's barcode (Code 128, the number in code set C) as SVG, for print or screen.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use barcoders::generators::svg::SVG;
use barcoders::sym::code128::Code128;
use shared::auth::PartnerAuth;
use shared::env::AppState;
use shared::http::ApiPath;
use shared::{Error, Result};

use crate::card;

/// Code set C packs two digits per symbol: the 16 digits make a short, easily scanned code.
const CODE_SET_C: char = '\u{0106}';
const HEIGHT: u32 = 80;

fn failed(e: barcoders::error::Error) -> Error {
    Error::internal(std::io::Error::other(format!("barcode: {e:?}")))
}

/// The SVG of a card number's Code 128 barcode.
pub fn svg_of(number: &str) -> Result<String> {
    let code = Code128::new(format!("{CODE_SET_C}{number}")).map_err(failed)?;
    SVG::new(HEIGHT).generate(code.encode()).map_err(failed)
}

/// The card's barcode (Code 128) as SVG.
#[utoipa::path(get, path = "/cards/cards/{number}/barcode", tag = "cards",
    params(("number" = String, Path, description = "The card number, 16 digits.")),
    responses((status = 200, description = "The barcode.", content_type = "image/svg+xml", body = String)))]
pub async fn svg(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(number): ApiPath<String>,
) -> Result<Response> {
    let card = card::load(state.table.as_ref(), &auth.partner_id, &number).await?;
    let svg = svg_of(&card.number)?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}
