//! TXT records, read through a port so that tests answer them from a stub: deployed and
//! locally [`SystemDns`] asks the resolvers of the system's configuration (hickory-resolver);
//! router tests and journeys use [`StaticDns`], whose records the test sets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::RData;

/// How a TXT lookup ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxtAnswer {
    /// The records' texts (each record's strings joined, as RFC 7208 reads them).
    Found(Vec<String>),
    /// The name does not exist or has no TXT record.
    None,
    /// No resolver answered in time, or it failed; worth trying again later.
    Unavailable,
}

/// Reads the TXT records of a name.
#[async_trait::async_trait]
pub trait TxtLookup: Send + Sync + std::fmt::Debug {
    async fn txt(&self, name: &str) -> TxtAnswer;
}

pub type SharedTxt = Arc<dyn TxtLookup>;

/// How long one lookup may take: two tries of two seconds.
const TIMEOUT: Duration = Duration::from_secs(2);
const ATTEMPTS: usize = 2;

/// The system's resolvers (`/etc/resolv.conf`; in Lambda, the VPC's or AWS's resolver).
/// Built on the first lookup, so a cold start that verifies nothing never reads the config.
#[derive(Debug, Default)]
pub struct SystemDns {
    resolver: OnceLock<Option<TokioResolver>>,
}

impl SystemDns {
    fn resolver(&self) -> Option<&TokioResolver> {
        self.resolver
            .get_or_init(|| {
                let built = TokioResolver::builder_tokio().and_then(|mut builder| {
                    let options = builder.options_mut();
                    options.timeout = TIMEOUT;
                    options.attempts = ATTEMPTS;
                    builder.build()
                });
                match built {
                    Ok(resolver) => Some(resolver),
                    Err(e) => {
                        tracing::error!(error = %e, "no DNS resolver configured");
                        None
                    }
                }
            })
            .as_ref()
    }
}

#[async_trait::async_trait]
impl TxtLookup for SystemDns {
    async fn txt(&self, name: &str) -> TxtAnswer {
        let Some(resolver) = self.resolver() else {
            return TxtAnswer::Unavailable;
        };
        // A fully qualified name: no search domains appended.
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match resolver.txt_lookup(fqdn.as_str()).await {
            Ok(lookup) => TxtAnswer::Found(
                lookup
                    .answers()
                    .iter()
                    .filter_map(|record| match &record.data {
                        RData::TXT(txt) => Some(
                            txt.txt_data
                                .iter()
                                .map(|part| String::from_utf8_lossy(part))
                                .collect::<String>(),
                        ),
                        _ => None,
                    })
                    .collect(),
            ),
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => TxtAnswer::None,
            Err(e) => {
                tracing::warn!(error = %e, "TXT lookup failed");
                TxtAnswer::Unavailable
            }
        }
    }
}

/// TXT records the test sets: a stub for router tests and journeys.
#[derive(Debug, Default)]
pub struct StaticDns {
    records: Mutex<HashMap<String, Vec<String>>>,
    unavailable: Mutex<bool>,
}

impl StaticDns {
    /// Adds a TXT record to `name`.
    pub fn add(&self, name: &str, text: &str) {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        records
            .entry(name.trim_end_matches('.').to_lowercase())
            .or_default()
            .push(text.to_string());
    }

    /// Makes every lookup fail as if no resolver answered.
    pub fn set_unavailable(&self, unavailable: bool) {
        *self.unavailable.lock().unwrap_or_else(|e| e.into_inner()) = unavailable;
    }
}

#[async_trait::async_trait]
impl TxtLookup for StaticDns {
    async fn txt(&self, name: &str) -> TxtAnswer {
        if *self.unavailable.lock().unwrap_or_else(|e| e.into_inner()) {
            return TxtAnswer::Unavailable;
        }
        let records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        match records.get(&name.trim_end_matches('.').to_lowercase()) {
            Some(texts) => TxtAnswer::Found(texts.clone()),
            None => TxtAnswer::None,
        }
    }
}
