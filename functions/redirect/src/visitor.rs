//! The visitor's click id: an HMAC of link, IP address and user agent under a salt that
//! changes every Berlin day. The IP address is never stored, only this hash; without the
//! secret it cannot be recomputed, and after the day not even with it for a new click.

use std::sync::Mutex;

use aws_lc_rs::hmac;
use jiff::civil::Date;

/// The secret the daily salts derive from (`CLICK_SECRET`); never shown by `Debug`.
#[derive(Clone)]
pub struct ClickSecret(String);

impl ClickSecret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ClickSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClickSecret(***)")
    }
}
/// The day's salt, derived from the secret and the date: no table write rotates it.
fn daily_salt(secret: &ClickSecret, day: Date) -> hmac::Key {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.expose().as_bytes());
    let salt = hmac::sign(&key, format!("pn-click-salt|{day}").as_bytes());
    hmac::Key::new(hmac::HMAC_SHA256, salt.as_ref())
}

/// The salt of the current day, derived once a day rather than on every click.
pub struct DailySalt {
    secret: ClickSecret,
    current: Mutex<Option<(Date, hmac::Key)>>,
}

impl DailySalt {
    pub fn new(secret: ClickSecret) -> Self {
        Self {
            secret,
            current: Mutex::new(None),
        }
    }

    fn of(&self, day: Date) -> hmac::Key {
        // A panic elsewhere cannot leave a half-written salt behind: the value is replaced whole.
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        match current.as_ref() {
            Some((cached, key)) if *cached == day => key.clone(),
            _ => {
                let key = daily_salt(&self.secret, day);
                *current = Some((day, key.clone()));
                key
            }
        }
    }

    /// The click id of this visitor on this link on `day`: 128 bits, hex.
    pub fn click_id(&self, day: Date, code: &str, ip: &str, user_agent: &str) -> String {
        click_id(&self.of(day), code, ip, user_agent)
    }
}

impl std::fmt::Debug for DailySalt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DailySalt(***)")
    }
}

fn click_id(salt: &hmac::Key, code: &str, ip: &str, user_agent: &str) -> String {
    let mut ctx = hmac::Context::with_key(salt);
    // Separators keep ("ab","c") and ("a","bc") apart.
    for part in [code, ip, user_agent] {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part.as_bytes());
    }
    hex::encode(&ctx.sign().as_ref()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        s.parse().unwrap_or_default()
    }

    fn click_id(secret: &ClickSecret, day: Date, code: &str, ip: &str, ua: &str) -> String {
        DailySalt::new(secret.clone()).click_id(day, code, ip, ua)
    }

    #[test]
    fn a_kept_salt_gives_the_ids_a_fresh_one_gives() {
        let salts = DailySalt::new(ClickSecret::new("geheim"));
        let ua = "Mozilla/5.0";
        let monday = salts.click_id(day("2026-11-23"), "Code123456", "203.0.113.7", ua);
        let tuesday = salts.click_id(day("2026-11-24"), "Code123456", "203.0.113.7", ua);
        assert_ne!(monday, tuesday);
        assert_eq!(
            salts.click_id(day("2026-11-24"), "Code123456", "203.0.113.7", ua),
            click_id(
                &ClickSecret::new("geheim"),
                day("2026-11-24"),
                "Code123456",
                "203.0.113.7",
                ua
            )
        );
        assert_eq!(
            salts.click_id(day("2026-11-23"), "Code123456", "203.0.113.7", ua),
            monday
        );
    }

    #[test]
    fn the_same_visitor_has_one_id_a_day_and_another_the_next_day() {
        let secret = ClickSecret::new("geheim");
        let ua = "Mozilla/5.0";
        let a = click_id(&secret, day("2026-11-24"), "Code123456", "203.0.113.7", ua);
        assert_eq!(a.len(), 32);
        assert_eq!(
            a,
            click_id(&secret, day("2026-11-24"), "Code123456", "203.0.113.7", ua)
        );
        assert_ne!(
            a,
            click_id(&secret, day("2026-11-25"), "Code123456", "203.0.113.7", ua)
        );
        assert_ne!(
            a,
            click_id(&secret, day("2026-11-24"), "Code123457", "203.0.113.7", ua)
        );
        assert_ne!(
            a,
            click_id(&secret, day("2026-11-24"), "Code123456", "203.0.113.8", ua)
        );
        assert_ne!(
            a,
            click_id(
                &ClickSecret::new("anders"),
                day("2026-11-24"),
                "Code123456",
                "203.0.113.7",
                ua
            )
        );
        assert!(!a.contains("203"), "the address is not in the id");
    }
}
