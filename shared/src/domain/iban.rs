use std::fmt;

use iban::IbanLike;

/// An IBAN whose country format and mod-97 checksum are valid (iban_validate).
#[derive(Clone, PartialEq, Eq)]
pub struct Iban(iban::Iban);

impl Iban {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        compact
            .to_uppercase()
            .parse::<iban::Iban>()
            .map(Self)
            .map_err(|_| "ist keine gültige IBAN (Prüfziffer oder Länge falsch)")
    }

    /// The electronic form without spaces, for storage (encrypted) and payment files.
    pub fn electronic(&self) -> &str {
        self.0.electronic_str()
    }

    pub fn country(&self) -> &str {
        self.0.country_code()
    }

    /// Country, check digits and the last four characters; the rest hidden, in groups of four.
    pub fn masked(&self) -> String {
        let s = self.electronic();
        let len = s.chars().count();
        let shown: String = s
            .chars()
            .enumerate()
            .map(|(i, c)| if i < 4 || i + 4 >= len { c } else { '•' })
            .collect();
        shown
            .chars()
            .collect::<Vec<_>>()
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

// Never print the full IBAN, not even in debug output.
impl fmt::Debug for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Iban({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::Iban;

    #[test]
    fn accepts_valid_iban_with_spaces_and_masks_it() {
        let iban = Iban::parse("de89 3704 0044 0532 0130 00");
        assert!(iban.is_ok());
        let iban = iban.unwrap_or_else(|_| unreachable!());
        assert_eq!(iban.electronic(), "DE89370400440532013000");
        assert_eq!(iban.masked(), "DE89 •••• •••• •••• ••30 00");
        assert!(!format!("{iban:?}").contains("0532"));
    }

    #[test]
    fn rejects_wrong_checksum() {
        assert!(Iban::parse("DE89370400440532013001").is_err());
        assert!(Iban::parse("DE8937040044").is_err());
    }
}
