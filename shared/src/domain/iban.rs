use std::fmt;

use iban::IbanLike;

/// The IBAN country codes of the SEPA schemes' geographical scope, per the EPC's "List of
/// countries and territories included in the SEPA schemes' geographical scope" (EPC409-09,
/// as of the EPC Board decision of May 2025: 41 countries). The 27 EU states; the EEA states
/// IS, LI, NO; CH, GB, MC, SM, VA, AD; the enlargement countries AL and ME (November 2024),
/// MD and MK (March 2025) and RS (May 2025); and GI, the one territory in scope with an IBAN
/// prefix of its own (the others, such as the French overseas departments, Åland or the
/// Channel Islands, use FR, FI or GB IBANs).
pub const SEPA_COUNTRIES: [&str; 42] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", // EU
    "IS", "LI", "NO", // EEA
    "CH", "GB", "MC", "SM", "VA", "AD", // further members
    "AL", "ME", "MD", "MK", "RS", // enlargement countries, 2024-2025
    "GI", // Gibraltar
];

/// An IBAN whose country format and mod-97 checksum are valid (iban_validate), from a country
/// in the SEPA schemes: only such an account can be debited by SEPA direct debit.
#[derive(Clone, PartialEq, Eq)]
pub struct Iban(iban::Iban);

impl Iban {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        let iban = compact
            .to_uppercase()
            .parse::<iban::Iban>()
            .map_err(|_| "ist keine gültige IBAN (Prüfziffer oder Länge falsch)")?;
        if !SEPA_COUNTRIES.contains(&iban.country_code()) {
            return Err(
                "gehört zu einem Land außerhalb des SEPA-Raums; SEPA-Lastschriften sind nur von Konten im SEPA-Raum möglich",
            );
        }
        Ok(Self(iban))
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
    fn accepts_only_countries_of_the_sepa_schemes() {
        // Valid IBANs (the registry's examples) of countries outside SEPA.
        for outside in [
            "SA03 8000 0000 6080 1016 7519",
            "BR18 0036 0305 0000 1000 9795 493C 1",
            "TR33 0006 1005 1978 6457 8413 26",
        ] {
            assert!(
                outside.replace(' ', "").parse::<iban::Iban>().is_ok(),
                "{outside} is a valid IBAN"
            );
            assert!(
                Iban::parse(outside)
                    .unwrap_err()
                    .contains("außerhalb des SEPA-Raums"),
                "{outside}"
            );
        }
        for inside in [
            "AT61 1904 3002 3457 3201",
            "CH93 0076 2011 6238 5295 7",
            "GB29 NWBK 6016 1331 9268 19",
            "NO93 8601 1117 947",
            "AL47 2121 1009 0000 0002 3569 8741",
            "RS35 2600 0560 1001 6113 79",
        ] {
            assert!(Iban::parse(inside).is_ok(), "{inside}");
        }
        assert_eq!(super::SEPA_COUNTRIES.len(), 42);
    }

    #[test]
    fn rejects_wrong_checksum() {
        assert!(Iban::parse("DE89370400440532013001").is_err());
        assert!(Iban::parse("DE8937040044").is_err());
    }
}
