//! `GET /r/{code}`: the 302 to the program's landing URL, with the click id appended.
//!
//! A counted click costs two write units: the click record (an update under the condition
//! that the visitor's hour has passed, which both deduplicates and is the record conversions
//! look up) and the day's counter of the link. A repeated click within the hour costs nothing
//! when this instance counted the first (see `recent`), else the one failed conditional
//! write; a crawler, a HEAD or an unknown code costs no write at all.

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lambda_http::request::RequestContext;
use shared::model::from_item;
use shared::model::referrals::{
    CODE_LEN, Click, DEDUPE_SECS, Link, attr, click_key, clicks_key, link_key,
};
use shared::store::{Cond, Consistency, StoreError, TTL, Update};

use crate::{RedirectState, bots, page};

/// The query parameter that carries the click id to the landing page.
pub const CLICK_PARAM: &str = "pn_click";

/// What became of a click.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// The visitor's first click on the link today.
    Unique,
    /// Counted again: the visitor's previous click was more than an hour ago.
    Again,
    /// The same visitor within the hour.
    Duplicate,
    /// A crawler, a HEAD or a request without a user agent.
    NotCounted,
}

/// Follow a referral link.
#[utoipa::path(get, path = "/r/{code}", tag = "redirect",
    summary = "Einem Empfehlungslink folgen",
    params(("code" = String, Path, description = "The link's code (10 characters, base62).")),
    responses(
        (status = 302, description = "To the program's landing URL with `pn_click` appended.",
            headers(("location" = String, description = "The landing URL."))),
        (status = 404, description = "A German page: unknown, paused or ended link.",
            content_type = "text/html", body = String),
    ))]
pub async fn follow(
    State(state): State<RedirectState>,
    method: Method,
    headers: HeaderMap,
    lambda: Option<Extension<RequestContext>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Path(code): Path<String>,
) -> Response {
    // A crafted code never reaches the table.
    if code.len() != CODE_LEN || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return page::not_found();
    }
    let now = state.clock.now();
    let link = match load(&state, &code, now.as_second()).await {
        Ok(Some(link)) if link.active => link,
        Ok(_) => return page::not_found(),
        Err(e) => {
            tracing::error!(error = %e, "link could not be read");
            return shared::Error::from(e).into_response();
        }
    };
    // The target is only ever the stored landing URL, and only over https.
    let Ok(mut target) = url::Url::parse(&link.landing_url) else {
        return page::not_found();
    };
    if target.scheme() != "https" {
        return page::not_found();
    }
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let ip = client_ip(
        lambda.as_ref().map(|e| &e.0),
        peer.as_ref().map(|e| e.0.0),
        &headers,
    );
    let today = shared::clock::berlin_date(now);
    let click_id = state.salt.click_id(today, &code, &ip, user_agent);
    // Link previews send HEAD with browser user agents.
    if method == Method::GET && !bots::is_bot(user_agent) {
        match record(&state, &link, &click_id, now.as_second(), today).await {
            Ok(counted) => tracing::debug!(?counted, "click"),
            // The visitor still gets where the link leads; only the count is lost.
            Err(e) => tracing::warn!(error = %e, "click not counted"),
        }
    }
    target.query_pairs_mut().append_pair(CLICK_PARAM, &click_id);
    redirect_to(target.as_str())
}

fn redirect_to(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(location) => {
            let mut response = StatusCode::FOUND.into_response();
            let headers = response.headers_mut();
            headers.insert(header::LOCATION, location);
            // Every click must reach us again to be counted; the landing page learns
            // nothing about the referral page.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            response
        }
        Err(_) => page::not_found(),
    }
}

async fn load(state: &RedirectState, code: &str, now: i64) -> Result<Option<Link>, StoreError> {
    if let Some(link) = state.links.get(code, now) {
        return Ok(Some(link));
    }
    // Half the read cost: a link is written once and changes only when its program does.
    let item = state
        .table
        .get_with(&link_key(code), Consistency::Eventual)
        .await?;
    let link = item.and_then(|item| from_item::<Link>(item).ok());
    if let Some(link) = &link {
        state.links.keep(link, now);
    }
    Ok(link)
}

/// The address the request came from: API Gateway's source IP in Lambda, the peer locally.
/// `X-Forwarded-For` is trusted only where neither is known (in-process tests).
fn client_ip(
    lambda: Option<&RequestContext>,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
) -> String {
    if let Some(RequestContext::ApiGatewayV2(ctx)) = lambda
        && let Some(ip) = ctx.http.source_ip.as_deref()
    {
        return ip.to_string();
    }
    if let Some(peer) = peer {
        return peer.ip().to_string();
    }
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

/// Counts a click: at most two writes, none if the visitor clicked within the hour.
pub async fn record(
    state: &RedirectState,
    link: &Link,
    click_id: &str,
    now: i64,
    today: jiff::civil::Date,
) -> Result<Counted, StoreError> {
    if state.recent.is_duplicate(click_id, now) {
        return Ok(Counted::Duplicate);
    }
    let expires = now + i64::from(link.attribution_days.max(1)) * 86_400;
    let click = state
        .table
        .update(
            &click_key(click_id),
            &[
                Update::Set(attr::CODE, link.code.clone().into()),
                Update::Set(attr::PROGRAM_ID, link.program_id.as_str().into()),
                Update::Set(attr::CLICKED_AT, now.into()),
                Update::Set(attr::COUNTED_UNTIL, (now + DEDUPE_SECS).into()),
                Update::Set(TTL, expires.into()),
                Update::Add(attr::VISITS, 1),
            ],
            Cond::LtOrAbsent(attr::COUNTED_UNTIL, now + 1),
        )
        .await;
    let click: Click = match click {
        Ok(item) => from_item(item).map_err(StoreError::unavailable)?,
        Err(StoreError::ConditionFailed) => return Ok(Counted::Duplicate),
        Err(e) => return Err(e),
    };
    state.recent.counted(click_id, now + DEDUPE_SECS, now);
    let unique = click.visits == 1;
    state
        .table
        .update(
            &clicks_key(&link.code, today),
            &[
                Update::Add(attr::CLICKS, 1),
                Update::Add(attr::UNIQUE, i64::from(unique)),
            ],
            Cond::Always,
        )
        .await?;
    Ok(if unique {
        Counted::Unique
    } else {
        Counted::Again
    })
}
