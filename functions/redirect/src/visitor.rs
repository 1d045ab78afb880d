//! The visitor's click id: an HMAC of link, IP address and user agent under a salt that
//! changes every Berlin day. The IP address is never stored, only this hash; without the
//! secret it cannot be recomputed, and after the day not even with it for a new click.

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

/// The click id of this visitor on this link today: 128 bits, hex.
pub fn click_id(secret: &ClickSecret, day: Date, code: &str, ip: &str, user_agent: &str) -> String {
    let salt = daily_salt(secret, day);
    let mut ctx = hmac::Context::with_key(&salt);
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
