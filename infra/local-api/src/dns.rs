//! TXT records a local run can prove: a landing domain is verified by its DNS record
//! (docs/referrals.md), and nobody running local-api controls the DNS of a test domain. The
//! records set through `PUT /_dev/dns-records` are kept in the data folder (`dns-records.json`,
//! so they survive a restart) and answer first; a name they do not hold is asked of the
//! system's resolvers, as deployed.

use std::path::{Path, PathBuf};

use axum::Json;
use axum::extract::State;
use referrals::dns::{SharedTxt, SystemDns, TxtAnswer, TxtLookup};
use serde::{Deserialize, Serialize};
use shared::FieldError;
use shared::http::ApiJson;

/// The file in the data folder.
pub fn records_path(data_dir: &Path) -> PathBuf {
    data_dir.join("dns-records.json")
}

/// One TXT record: the name (e.g. `_partnernetz.shop.example.de`) and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TxtRecord {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct RecordsFile {
    records: Vec<TxtRecord>,
}

/// A DNS name is at most 253 characters; one TXT string at most 255 bytes.
const MAX_NAME: usize = 253;
const MAX_VALUE: usize = 255;
/// A local folder holds a handful; the bound keeps the file small.
const MAX_RECORDS: usize = 1_000;

/// The records of the data folder, then the system's resolvers.
#[derive(Debug)]
pub struct LocalDns {
    path: PathBuf,
    system: SharedTxt,
    /// One writer at a time, so two requests cannot lose each other's record.
    write: tokio::sync::Mutex<()>,
}

impl LocalDns {
    pub fn new(data_dir: &Path) -> Self {
        Self::with_fallback(data_dir, std::sync::Arc::new(SystemDns::default()))
    }

    /// The same with another resolver behind the file (tests).
    pub fn with_fallback(data_dir: &Path, system: SharedTxt) -> Self {
        Self {
            path: records_path(data_dir),
            system,
            write: tokio::sync::Mutex::new(()),
        }
    }

    async fn read(&self) -> std::io::Result<RecordsFile> {
        match tokio::fs::read(&self.path).await {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(std::io::Error::other),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(RecordsFile::default()),
            Err(e) => Err(e),
        }
    }

    /// Every record set locally.
    pub async fn records(&self) -> std::io::Result<Vec<TxtRecord>> {
        Ok(self.read().await?.records)
    }

    /// Adds a record (a name may hold several texts; the same text twice is kept once),
    /// written to a new file and renamed over the old one, so a crash leaves either.
    pub async fn add(&self, record: TxtRecord) -> std::io::Result<Vec<TxtRecord>> {
        let _writer = self.write.lock().await;
        let mut file = self.read().await?;
        let record = TxtRecord {
            name: normalise(&record.name),
            value: record.value,
        };
        if !file.records.contains(&record) {
            file.records.push(record);
        }
        let bytes = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
        let fresh = self.path.with_extension("json.new");
        tokio::fs::write(&fresh, bytes).await?;
        tokio::fs::rename(&fresh, &self.path).await?;
        Ok(file.records)
    }
}

fn normalise(name: &str) -> String {
    name.trim().trim_end_matches('.').to_lowercase()
}

#[async_trait::async_trait]
impl TxtLookup for LocalDns {
    async fn txt(&self, name: &str) -> TxtAnswer {
        let wanted = normalise(name);
        match self.read().await {
            Ok(file) => {
                let found: Vec<String> = file
                    .records
                    .into_iter()
                    .filter(|record| record.name == wanted)
                    .map(|record| record.value)
                    .collect();
                if !found.is_empty() {
                    return TxtAnswer::Found(found);
                }
            }
            Err(e) => tracing::warn!(error = %e, "the local DNS records cannot be read"),
        }
        self.system.txt(name).await
    }
}

/// `PUT /_dev/dns-records`: sets a record; answers every record.
pub async fn put_record(
    State(dns): State<std::sync::Arc<LocalDns>>,
    ApiJson(record): ApiJson<TxtRecord>,
) -> Result<Json<serde_json::Value>, shared::Error> {
    let mut errors = Vec::new();
    let name = normalise(&record.name);
    if name.is_empty() || name.len() > MAX_NAME || name.contains(char::is_whitespace) {
        errors.push(FieldError::new(
            "name",
            "Bitte einen DNS-Namen angeben, z. B. _partnernetz.shop.example.de.",
        ));
    }
    if record.value.is_empty() || record.value.len() > MAX_VALUE {
        errors.push(FieldError::new(
            "value",
            "Bitte den Text des Eintrags angeben (höchstens 255 Zeichen).",
        ));
    }
    if !errors.is_empty() {
        return Err(shared::Error::Validation(errors));
    }
    if dns.records().await.map_err(shared::Error::internal)?.len() >= MAX_RECORDS {
        return Err(shared::Error::Unprocessable(
            "Es sind schon 1000 lokale DNS-Einträge gesetzt.".into(),
        ));
    }
    let records = dns.add(record).await.map_err(shared::Error::internal)?;
    Ok(Json(serde_json::json!({ "records": records })))
}

/// `GET /_dev/dns-records`: every record set locally.
pub async fn list_records(
    State(dns): State<std::sync::Arc<LocalDns>>,
) -> Result<Json<serde_json::Value>, shared::Error> {
    let records = dns.records().await.map_err(shared::Error::internal)?;
    Ok(Json(serde_json::json!({ "records": records })))
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use referrals::dns::StaticDns;
    use std::sync::Arc;

    /// A fresh folder of its own (nothing is in it until a record is added).
    fn folder() -> PathBuf {
        std::env::temp_dir().join(format!("pn-dns-{}", shared::domain::new_id()))
    }

    #[tokio::test]
    async fn a_record_set_locally_answers_and_survives_a_restart() {
        let dir = folder();
        std::fs::create_dir_all(&dir).expect("a folder");
        let dns = LocalDns::with_fallback(&dir, Arc::new(StaticDns::default()));
        dns.add(TxtRecord {
            name: "_partnernetz.Shop.Example.de.".into(),
            value: "partnernetz-verification=abc".into(),
        })
        .await
        .expect("written");
        let again = LocalDns::with_fallback(&dir, Arc::new(StaticDns::default()));
        assert_eq!(
            again.txt("_partnernetz.shop.example.de").await,
            TxtAnswer::Found(vec!["partnernetz-verification=abc".into()])
        );
    }

    #[tokio::test]
    async fn a_name_not_set_locally_is_asked_of_the_resolver_behind() {
        let dir = folder();
        std::fs::create_dir_all(&dir).expect("a folder");
        let system = Arc::new(StaticDns::default());
        system.add(
            "_partnernetz.real.example.de",
            "partnernetz-verification=real",
        );
        let dns = LocalDns::with_fallback(&dir, system);
        dns.add(TxtRecord {
            name: "_partnernetz.shop.example.de".into(),
            value: "x".into(),
        })
        .await
        .expect("written");
        assert_eq!(
            dns.txt("_partnernetz.real.example.de").await,
            TxtAnswer::Found(vec!["partnernetz-verification=real".into()])
        );
        assert_eq!(
            dns.txt("_partnernetz.other.example.de").await,
            TxtAnswer::None
        );
    }

    #[tokio::test]
    async fn the_same_record_twice_is_kept_once() {
        let dir = folder();
        std::fs::create_dir_all(&dir).expect("a folder");
        let dns = LocalDns::with_fallback(&dir, Arc::new(StaticDns::default()));
        let record = TxtRecord {
            name: "_partnernetz.shop.example.de".into(),
            value: "v".into(),
        };
        dns.add(record.clone()).await.expect("written");
        let records = dns.add(record.clone()).await.expect("written");
        assert_eq!(records, vec![record]);
    }
}
