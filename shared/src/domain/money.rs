use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount of euro cents. Money is never a float.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl Cents {
    /// The largest amount any input may carry: 100.000,00 €, far above any fee or price of the
    /// platform. With every input bounded, `i64` holds the sum of more than 900 billion of
    /// them, so no invoice, balance or statistic can overflow.
    pub const MAX_INPUT: Cents = Cents(10_000_000);

    /// An amount entered by a user: 0 to [`Cents::MAX_INPUT`].
    pub fn parse_input(value: i64) -> Result<Self, String> {
        if value < 0 {
            Err("darf nicht negativ sein".to_string())
        } else if value > Self::MAX_INPUT.0 {
            Err(format!(
                "darf höchstens {} betragen (Angabe in Cent)",
                Self::MAX_INPUT
            ))
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
    fn inputs_are_bounded_on_both_sides() {
        assert_eq!(Cents::parse_input(0), Ok(Cents(0)));
        assert_eq!(Cents::parse_input(4900), Ok(Cents(4900)));
        assert_eq!(Cents::parse_input(10_000_000), Ok(Cents::MAX_INPUT));
        assert_eq!(
            Cents::parse_input(10_000_001),
            Err("darf höchstens 100.000,00 € betragen (Angabe in Cent)".to_string())
        );
        assert!(Cents::parse_input(i64::MAX).is_err());
        assert!(Cents::parse_input(-1).is_err());
        assert!(Cents::parse_input(i64::MIN).is_err());
    }

    #[test]
    fn formats_the_german_way() {
        assert_eq!(Cents(123450).to_string(), "1.234,50 €");
        assert_eq!(Cents(5).to_string(), "0,05 €");
        assert_eq!(Cents(-1999).to_string(), "-19,99 €");
        assert_eq!(Cents(100_000_000).to_string(), "1.000.000,00 €");
    }
}
