//! Card numbers: 16 digits, the last a Luhn check digit (ISO/IEC 7812), so a mistyped digit
//! or two swapped neighbours are caught at the till before any lookup.

use rand::Rng;

/// Every number the platform issues starts with this (the ISO "industry" digit 9: national use).
const ISSUER_PREFIX: &str = "9276";
pub const NUMBER_LEN: usize = 16;

/// The check digit that makes `payload` followed by it pass [`is_valid`].
pub fn check_digit(payload: &str) -> Option<u8> {
    let mut sum = 0u32;
    // From the right, the digit next to the check digit is doubled first.
    for (i, c) in payload.chars().rev().enumerate() {
        let mut d = c.to_digit(10)?;
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    u8::try_from((10 - sum % 10) % 10).ok()
}

/// Whether `number` is all digits and its last digit checks the rest.
pub fn is_valid(number: &str) -> bool {
    // Digits only before splitting by bytes: a multi-byte character must never be cut.
    if !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let Some((payload, last)) = number.len().checked_sub(1).map(|i| number.split_at(i)) else {
        return false;
    };
    !payload.is_empty()
        && last.chars().all(|c| c.is_ascii_digit())
        && check_digit(payload).map(u32::from) == last.chars().next().and_then(|c| c.to_digit(10))
}

/// A fresh random card number.
pub fn generate() -> String {
    let mut rng = rand::rng();
    let mut payload = String::from(ISSUER_PREFIX);
    while payload.len() < NUMBER_LEN - 1 {
        payload.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
    let check = check_digit(&payload).unwrap_or(0);
    payload.push(char::from(b'0' + check));
    payload
}

/// A card number as typed or scanned: spaces and dashes dropped; `None` unless it is a
/// valid number of ours.
pub fn normalise(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (digits.len() == NUMBER_LEN && is_valid(&digits)).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_test_vectors() {
        // The worked example of ISO/IEC 7812-1 and Wikipedia's "Luhn algorithm".
        assert_eq!(check_digit("7992739871"), Some(3));
        assert!(is_valid("79927398713"));
        assert!(!is_valid("79927398710"));
        // Test card numbers published by the card schemes.
        for valid in [
            "4111111111111111",
            "5555555555554444",
            "378282246310005",
            "6011111111111117",
            "4012888888881881",
        ] {
            assert!(is_valid(valid), "{valid}");
        }
        assert!(!is_valid("4111111111111112"));
        // 16 bytes that end inside a two-byte character: refused, never split.
        assert!(!is_valid("000000\u{80}\u{80}\u{80}\u{80}\u{80}"));
        assert_eq!(normalise("000000\u{80}\u{80}\u{80}\u{80}\u{80}"), None);
        assert!(!is_valid("49927398717"));
        assert!(is_valid("49927398716"));
        assert!(!is_valid(""));
        assert!(!is_valid("4111a11111111111"));
    }

    #[test]
    fn generated_numbers_are_valid_and_catch_typos() {
        for _ in 0..100 {
            let n = generate();
            assert_eq!(n.len(), NUMBER_LEN);
            assert!(n.starts_with(ISSUER_PREFIX));
            assert!(is_valid(&n));
            // One digit changed is always caught.
            let mut typo: Vec<u8> = n.bytes().collect();
            typo[7] = b'0' + (typo[7] - b'0' + 1) % 10;
            assert!(!is_valid(&String::from_utf8(typo).unwrap_or_default()));
        }
        let n = generate();
        let spaced = format!("{} {} {} {}", &n[0..4], &n[4..8], &n[8..12], &n[12..16]);
        assert_eq!(normalise(&spaced), Some(n));
        assert_eq!(normalise("1234"), None);
    }
}
