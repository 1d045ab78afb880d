//! The domains a partner's landing pages may be on, and the proof that the partner owns
//! them. A referral link sends people only to a domain whose owner put the partner's token
//! into DNS: the TXT record `_partnernetz.<domain>` with the value
//! `partnernetz-verification=<token>`, checked through [`crate::dns`] when the partner asks
//! (`POST /partners/me/referral-domains/{domain}/verification`), and only for a partner a
//! platform has approved. Until then no program can use the domain and no link to it is made,
//! so the platform's `/r/<code>` cannot be made to send people to someone else's site.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::{Extension, Json};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::auth::PartnerAuth;
use shared::domain::PartnerId;
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, Validator};
use shared::model::from_item;
use shared::store::{Cond, Table, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::dns::{SharedTxt, TxtAnswer};
use crate::eligibility;
use crate::records::{attr, domains_key};

const MAX_DOMAINS: usize = 20;
/// The name under a domain that carries the proof.
pub const TXT_PREFIX: &str = "_partnernetz.";
/// What the TXT record's value starts with.
pub const TXT_VALUE_PREFIX: &str = "partnernetz-verification=";

/// The stored list: the domains as the partner listed them, and when each was verified.
/// Items written before verification existed read as listed and unverified.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DomainList {
    pub domains: Vec<String>,
    #[serde(default)]
    pub verified: BTreeMap<String, Timestamp>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"domains": ["baeckerei-mueller.de"]}))]
pub struct DomainsInput {
    /// Host names the partner's landing pages may be on (subdomains included).
    pub domains: Vec<String>,
}

/// One domain as the partner sees it, with the DNS record that proves it is theirs.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Domain {
    pub domain: String,
    /// Whether links may send people there.
    pub verified: bool,
    pub verified_at: Option<Timestamp>,
    /// The TXT record to create: its name ...
    pub txt_name: String,
    /// ... and its value.
    pub txt_value: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Domains {
    pub domains: Vec<Domain>,
}

/// The partner's token for `domain`: the same every time, and another partner's differs, so
/// a record set for one partner proves nothing for another.
pub fn token(partner: &PartnerId, domain: &str) -> String {
    let digest = Sha256::digest(format!("partnernetz-domain\0{partner}\0{domain}"));
    hex::encode(&digest[..16])
}

fn view(partner: &PartnerId, list: &DomainList) -> Domains {
    Domains {
        domains: list
            .domains
            .iter()
            .map(|d| Domain {
                domain: d.clone(),
                verified: list.verified.contains_key(d),
                verified_at: list.verified.get(d).copied(),
                txt_name: format!("{TXT_PREFIX}{d}"),
                txt_value: format!("{TXT_VALUE_PREFIX}{}", token(partner, d)),
            })
            .collect(),
    }
}

async fn load(table: &dyn Table, partner: &PartnerId) -> Result<DomainList> {
    Ok(match table.get(&domains_key(partner)).await? {
        Some(item) => from_item(item)?,
        None => DomainList::default(),
    })
}

/// The partner's verified domains: the only ones landing pages may be on.
pub async fn verified(table: &dyn Table, partner: &PartnerId) -> Result<Vec<String>> {
    let list = load(table, partner).await?;
    Ok(list
        .domains
        .into_iter()
        .filter(|d| list.verified.contains_key(d))
        .collect())
}

/// Whether `host` is `domain` or one of its subdomains.
pub fn on_domain(host: &str, domain: &str) -> bool {
    host == domain || host.ends_with(&format!(".{domain}"))
}

/// Whether the https URL `landing` lies on one of `domains`.
pub fn lies_on(landing: &str, domains: &[String]) -> bool {
    url::Url::parse(landing).is_ok_and(|url| {
        let host = url.host_str().unwrap_or_default().to_lowercase();
        url.scheme() == "https" && domains.iter().any(|d| on_domain(&host, d))
    })
}

fn normalise(raw: &str) -> Option<String> {
    let d = raw.trim().trim_end_matches('.').to_lowercase();
    let ok = d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    ok.then_some(d)
}

/// List the domains the partner's landing pages may be on. A domain listed again keeps its
/// verification; a new one starts unverified.
#[utoipa::path(put, path = "/partners/me/referral-domains", tag = "programs",
    summary = "Domains der Zielseiten festlegen",
    request_body = DomainsInput,
    responses((status = 200, description = "The listed domains with their DNS records.", body = Domains)))]
pub async fn put_domains(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiJson(body): ApiJson<DomainsInput>,
) -> Result<Json<Domains>> {
    let mut v = Validator::new();
    v.require(
        "domains",
        body.domains.len() <= MAX_DOMAINS,
        "höchstens 20 Domains",
    );
    let mut domains = Vec::new();
    for (i, raw) in body.domains.iter().enumerate() {
        let d = normalise(raw);
        v.require(
            &format!("domains[{i}]"),
            d.is_some(),
            "muss ein Domainname sein, z. B. baeckerei-mueller.de",
        );
        if let Some(d) = d
            && !domains.contains(&d)
        {
            domains.push(d);
        }
    }
    v.finish()?;
    let before = load(state.table.as_ref(), &auth.partner_id).await?;
    let list = DomainList {
        verified: before
            .verified
            .into_iter()
            .filter(|(d, _)| domains.contains(d))
            .collect(),
        domains,
    };
    save(state.table.as_ref(), &auth.partner_id, &list).await?;
    Ok(Json(view(&auth.partner_id, &list)))
}

/// An update naming only the list and its verifications: the partner's partition also holds
/// its profile and mandate, which this function's policy lets it neither replace nor change
/// (IAM `dynamodb:Attributes`, docs/architecture.md §15).
async fn save(table: &dyn Table, partner: &PartnerId, list: &DomainList) -> Result<()> {
    table
        .update(
            &domains_key(partner),
            &[
                Update::Set(attr::DOMAINS, serde_json::to_value(&list.domains)?),
                Update::Set(attr::VERIFIED, serde_json::to_value(&list.verified)?),
            ],
            Cond::Always,
        )
        .await?;
    Ok(())
}

/// The partner's domains, whether each is verified, and the DNS record that verifies it.
#[utoipa::path(get, path = "/partners/me/referral-domains", tag = "programs",
    summary = "Domains der Zielseiten",
    responses((status = 200, description = "The listed domains with their DNS records.", body = Domains)))]
pub async fn get_domains(
    State(state): State<AppState>,
    auth: PartnerAuth,
) -> Result<Json<Domains>> {
    let list = load(state.table.as_ref(), &auth.partner_id).await?;
    Ok(Json(view(&auth.partner_id, &list)))
}

/// What became of a verification.
#[derive(Debug)]
pub enum Verification {
    Verified(Domains),
    /// The record is not (yet) there: its name and the value it needs.
    RecordMissing {
        name: String,
        value: String,
    },
    /// No resolver answered.
    DnsUnavailable,
}

/// Checks the TXT record of a listed domain and, when it carries the partner's token, marks
/// the domain verified. 404 for a domain the partner has not listed, 422 for a partner no
/// platform has approved.
pub async fn verify_domain(
    state: &AppState,
    dns: &SharedTxt,
    partner: &PartnerId,
    raw: &str,
) -> Result<Verification> {
    let listed = load(state.table.as_ref(), partner).await?;
    let domain = normalise(raw).filter(|d| listed.domains.contains(d));
    let Some(domain) = domain else {
        return Err(Error::NotFound(
            "Diese Domain haben Sie nicht hinterlegt (PUT /partners/me/referral-domains).".into(),
        ));
    };
    eligibility::ensure_may_run_programs(state.table.as_ref(), partner, state.clock.today())
        .await?;
    let name = format!("{TXT_PREFIX}{domain}");
    let value = format!("{TXT_VALUE_PREFIX}{}", token(partner, &domain));
    match dns.txt(&name).await {
        TxtAnswer::Found(texts) if texts.iter().any(|t| t.trim() == value) => {}
        TxtAnswer::Unavailable => return Ok(Verification::DnsUnavailable),
        TxtAnswer::Found(_) | TxtAnswer::None => {
            return Ok(Verification::RecordMissing { name, value });
        }
    }
    // Read again: the list may have changed while DNS answered.
    let mut list = load(state.table.as_ref(), partner).await?;
    if !list.domains.contains(&domain) {
        return Err(Error::Conflict(
            "Die Domain wurde soeben aus Ihrer Liste entfernt.".into(),
        ));
    }
    list.verified
        .entry(domain.clone())
        .or_insert(state.clock.now());
    save(state.table.as_ref(), partner, &list).await?;
    tracing::info!(partner_id = %partner, "landing domain verified");
    Ok(Verification::Verified(view(partner, &list)))
}

/// Verify a listed domain by its DNS record.
#[utoipa::path(post, path = "/partners/me/referral-domains/{domain}/verification", tag = "programs",
    summary = "Domain per DNS bestätigen",
    params(("domain" = String, Path, description = "A listed domain, e.g. baeckerei-mueller.de.")),
    responses(
        (status = 200, description = "The domain is verified; every listed domain.", body = Domains),
        (status = 404, response = shared::openapi::NotFound),
        (status = 422, response = shared::openapi::Unprocessable),
    ))]
pub async fn verify(
    State(state): State<AppState>,
    Extension(dns): Extension<SharedTxt>,
    auth: PartnerAuth,
    ApiPath(domain): ApiPath<String>,
) -> Result<Json<Domains>> {
    match verify_domain(&state, &dns, &auth.partner_id, &domain).await? {
        Verification::Verified(domains) => Ok(Json(domains)),
        Verification::RecordMissing { name, value } => Err(Error::Unprocessable(format!(
            "Wir haben den DNS-Eintrag nicht gefunden. Bitte legen Sie einen TXT-Eintrag \
             „{name}“ mit dem Wert „{value}“ an; Änderungen im DNS können einige Zeit \
             brauchen, bis sie sichtbar sind."
        ))),
        // A 503 with Retry-After: the check can simply be asked for again.
        Verification::DnsUnavailable => Err(Error::Unavailable(
            "no DNS resolver answered the TXT lookup".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_by_partner_and_domain_and_stay_the_same() {
        let a = PartnerId::generate();
        let b = PartnerId::generate();
        assert_eq!(token(&a, "x.de"), token(&a, "x.de"));
        assert_ne!(token(&a, "x.de"), token(&b, "x.de"));
        assert_ne!(token(&a, "x.de"), token(&a, "y.de"));
        assert_eq!(token(&a, "x.de").len(), 32);
    }

    #[test]
    fn landing_pages_lie_on_a_domain_or_its_subdomains() {
        let domains = vec!["baeckerei-mueller.de".to_string()];
        assert!(lies_on("https://baeckerei-mueller.de/", &domains));
        assert!(lies_on("https://shop.baeckerei-mueller.de/a?b=1", &domains));
        assert!(!lies_on("https://evil-baeckerei-mueller.de/", &domains));
        assert!(!lies_on(
            "https://baeckerei-mueller.de.evil.example/",
            &domains
        ));
        assert!(!lies_on("http://baeckerei-mueller.de/", &domains));
    }
}
