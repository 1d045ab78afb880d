use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount of euro cents. Money is never a float.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl Cents {
    pub fn parse_non_negative(value: i64) -> Result<Self, &'static str> {
        if value < 0 {
            Err("darf nicht negativ sein")
        } else {
            Ok(Self(value))
        }
    }
}

/// German notation: `1.234,50 €`.
impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let euros = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in euros.chars().enumerate() {
            if i > 0 && (euros.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(c);
        }
        write!(f, "{sign}{grouped},{:02} €", abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::Cents;

    #[test]
    fn formats_the_german_way() {
        assert_eq!(Cents(123450).to_string(), "1.234,50 €");
        assert_eq!(Cents(5).to_string(), "0,05 €");
        assert_eq!(Cents(-1999).to_string(), "-19,99 €");
        assert_eq!(Cents(100_000_000).to_string(), "1.000.000,00 €");
    }
}
