//! Presigned image URLs, reused within a warm Lambda: a feed page shows 20 images, and
//! signing each anew for every page would cost more than the rest of the page. A URL is
//! signed for two hours and handed out for the first hour, so every URL given out is valid
//! for at least an hour.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use shared::Result;
use shared::blobs::Blobs;

const SIGNED_FOR: Duration = Duration::from_secs(2 * 3600);
const REUSED_FOR: Duration = Duration::from_secs(3600);
/// Bounds the memory of a long-lived sandbox: the map starts over when full.
const MAX_ENTRIES: usize = 4096;

type Cache = HashMap<String, (Instant, String)>;

static SIGNED: LazyLock<Mutex<Cache>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// A GET URL of the object, valid for at least an hour.
pub async fn image_url(blobs: &Blobs, key: &str) -> Result<String> {
    if let Ok(cache) = SIGNED.lock()
        && let Some((signed_at, url)) = cache.get(key)
        && signed_at.elapsed() < REUSED_FOR
    {
        return Ok(url.clone());
    }
    let url = blobs.presign_get(key, SIGNED_FOR).await?;
    if let Ok(mut cache) = SIGNED.lock() {
        if cache.len() >= MAX_ENTRIES {
            cache.clear();
        }
        cache.insert(key.to_string(), (Instant::now(), url.clone()));
    }
    Ok(url)
}
