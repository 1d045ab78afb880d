//! CSV files as a German spreadsheet (Excel, LibreOffice Calc) opens them
//! (docs/architecture.md §10): UTF-8 with BOM, `;` between cells, and each cell written so
//! that it opens as what it is:
//!
//! - card numbers in blocks of four, as printed on the card (`9276 0012 3456 7895`): a
//!   spreadsheet reads 16 bare digits as a number and keeps only 15 of them;
//! - postal codes as `="01067"`, the one form both keep as text with its leading zero (only
//!   ever written for five digits, so nothing else can run);
//! - amounts in euros with a decimal comma (`-12,50`), dates as `24.11.2026`, instants as
//!   `24.11.2026 10:15:30` in Berlin time;
//! - every other text, above all what people typed, neutralised as OWASP's CSV injection
//!   guidance asks: a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return
//!   gets a leading `'`, so it is shown as text and no formula runs.

use jiff::Timestamp;
use jiff::civil::Date;
use shared::clock::berlin;
use shared::{Error, Result};

/// A spreadsheet would start a formula (or a DDE call) with one of these.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Text as typed: shown as it is, never run.
pub fn text(value: &str) -> String {
    if value.starts_with(FORMULA_STARTS) {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

/// A card number in blocks of four.
pub fn card_number(number: &str) -> String {
    let digits: Vec<char> = number.chars().collect();
    let grouped: Vec<String> = digits
        .chunks(4)
        .map(|block| block.iter().collect())
        .collect();
    text(&grouped.join(" "))
}

/// A postal code, kept as text with its leading zero.
pub fn postal_code(code: &str) -> String {
    if !code.is_empty() && code.chars().all(|c| c.is_ascii_digit()) {
        format!("=\"{code}\"")
    } else {
        text(code)
    }
}

/// Cents as euros with a decimal comma and no thousands separator: `1234,50`, `-0,05`.
pub fn euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{},{:02}", abs / 100, abs % 100)
}

pub fn date(day: Date) -> String {
    shared::clock::german_date(day)
}

/// An instant as the time in Berlin.
pub fn instant(at: Timestamp) -> String {
    at.to_zoned(berlin())
        .strftime("%d.%m.%Y %H:%M:%S")
        .to_string()
}

/// A file of `headers` and `rows`, each row as many cells as there are headers.
pub fn file<const N: usize>(headers: [&str; N], rows: &[[String; N]]) -> Result<Vec<u8>> {
    // Excel in Germany reads UTF-8 only with the BOM, and `;` as the separator.
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(&mut out);
        w.write_record(headers).map_err(Error::internal)?;
        for row in rows {
            w.write_record(row).map_err(Error::internal)?;
        }
        w.flush().map_err(Error::internal)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date as day;

    #[test]
    fn cells_open_as_what_they_are() {
        assert_eq!(card_number("9276001234567895"), "9276 0012 3456 7895");
        assert_eq!(postal_code("01067"), "=\"01067\"");
        assert_eq!(postal_code("=1+2"), "'=1+2");
        assert_eq!(euros(123_450), "1234,50");
        assert_eq!(euros(-5), "-0,05");
        assert_eq!(euros(0), "0,00");
        assert_eq!(date(day(2026, 11, 24)), "24.11.2026");
        let at: Timestamp = "2026-11-24T09:15:30Z".parse().unwrap_or_default();
        assert_eq!(instant(at), "24.11.2026 10:15:30");
        for risky in [
            "=HYPERLINK(\"x\")",
            "+49",
            "-1",
            "@SUMME(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert!(text(risky).starts_with('\''), "{risky:?}");
        }
        assert_eq!(text("Anna"), "Anna");
    }
}
