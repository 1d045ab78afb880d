//! The CSV files as a merchant opens them: LibreOffice Calc converts them with German
//! settings (`;`, UTF-8, German locale) and the cells are read back with their types.

use std::path::{Path, PathBuf};
use std::process::Command;

use http::StatusCode;
use quick_xml::events::Event;
use serde_json::json;

use crate::kit::{BONUS, PREPAID, World};

/// One cell as Calc holds it.
#[derive(Debug, Clone, Default)]
struct Cell {
    /// `string`, `float`, `date`, … (empty for an empty cell).
    kind: String,
    /// The value Calc computes with (a float's number, a date's ISO value, a string's text).
    value: String,
    formula: Option<String>,
}

fn cell_of(e: &quick_xml::events::BytesStart) -> (Cell, usize) {
    let mut c = Cell::default();
    let mut repeat = 1;
    for a in e.attributes() {
        let a = a.unwrap();
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .unwrap()
            .to_string();
        match a.key.as_ref() {
            b"office:value-type" => c.kind = v,
            b"office:value" | b"office:date-value" | b"office:string-value" => c.value = v,
            b"table:formula" => c.formula = Some(v),
            b"table:number-columns-repeated" => repeat = v.parse().unwrap(),
            _ => {}
        }
    }
    (c, repeat.min(64))
}

/// The first sheet of a flat ODS file, row by row.
fn sheet(fods: &Path) -> Vec<Vec<Cell>> {
    let xml = std::fs::read_to_string(fods).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut rows, mut row) = (Vec::new(), Vec::new());
    let mut open: Option<(Cell, usize, String)> = None;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) if e.name().as_ref() == b"table:table-cell" => {
                let (c, repeat) = cell_of(&e);
                open = Some((c, repeat, String::new()));
            }
            Event::Empty(e) if e.name().as_ref() == b"table:table-cell" => {
                let (c, repeat) = cell_of(&e);
                row.extend(std::iter::repeat_n(c, repeat));
            }
            Event::Text(t) => {
                if let Some((_, _, text)) = &mut open {
                    text.push_str(&t.decode().unwrap());
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, _, text)) = &mut open {
                    let ch = match r.resolve_char_ref().unwrap() {
                        Some(ch) => ch,
                        None => match r.decode().unwrap().as_ref() {
                            "apos" => '\'',
                            "quot" => '"',
                            "amp" => '&',
                            "lt" => '<',
                            _ => '>',
                        },
                    };
                    text.push(ch);
                }
            }
            Event::Empty(e) if e.name().as_ref() == b"text:tab" => {
                if let Some((_, _, text)) = &mut open {
                    text.push('\t');
                }
            }
            Event::End(e) if e.name().as_ref() == b"table:table-cell" => {
                if let Some((mut c, repeat, text)) = open.take() {
                    if c.kind == "string" && c.value.is_empty() {
                        c.value = text.trim_matches(['\n', ' ']).to_string();
                    }
                    row.extend(std::iter::repeat_n(c, repeat));
                }
            }
            Event::End(e) if e.name().as_ref() == b"table:table-row" => {
                rows.push(std::mem::take(&mut row));
            }
            Event::End(e) if e.name().as_ref() == b"table:table" => return rows,
            Event::Eof => return rows,
            _ => {}
        }
    }
}

/// The cell under `header` in `row`.
fn at<'a>(rows: &'a [Vec<Cell>], row: usize, header: &str) -> &'a Cell {
    let col = rows[0]
        .iter()
        .position(|c| c.value == header)
        .unwrap_or_else(|| panic!("no column {header}: {:?}", rows[0]));
    &rows[row][col]
}

/// Opens each CSV as a merchant's Calc would (German locale, `;`, UTF-8) and saves it as
/// flat ODS beside it.
fn open_in_calc(files: &[PathBuf], dir: &Path) -> Vec<Vec<Vec<Cell>>> {
    let profile = dir.join("profile");
    let status = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--infilter=CSV:59,34,76,1,,1031",
            "--convert-to",
            "fods",
        ])
        .arg("--outdir")
        .arg(dir)
        .args(files)
        .status()
        .expect("LibreOffice (soffice): cargo xtask test installs it");
    assert!(status.success(), "soffice: {status}");
    files
        .iter()
        .map(|f| sheet(&f.with_extension("fods")))
        .collect()
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn the_csv_files_open_in_a_german_spreadsheet_as_what_they_hold() {
    let w = World::new().await;
    w.at("2026-11-24T10:00:00Z");
    let m = w.merchant("anna@baeckerei-a.de").await;
    let prepaid = w.program(&m, PREPAID()).await;
    let cards = w.cards(&m, &prepaid, 5).await;
    let names = ["=1+2", "+Anna", "-Anna", "@SUMME(A1)", "Anna"];
    for (card, name) in cards.iter().zip(names) {
        w.holder(
            &m,
            card,
            json!({"first_name": name, "last_name": "Müller", "email": "anna@example.de",
                "postal_code": "01067", "birth_year": 1988}),
        )
        .await;
    }
    let number = &cards[0].0;
    w.book(
        &m.pos,
        number,
        "k-1",
        json!({"type": "top_up", "amount_cents": 12350}),
    )
    .await;
    w.book(
        &m.pos,
        number,
        "k-2",
        json!({"type": "pay", "amount_cents": 50}),
    )
    .await;
    let bonus = w.program(&m, BONUS()).await;
    let batch = w
        .call(
            "POST",
            &format!("/cards/programs/{bonus}/batches"),
            Some(json!({"count": 2})),
            &m.partner.token,
        )
        .await;
    assert_eq!(batch.status, StatusCode::CREATED, "{:?}", batch.body);
    let export = w
        .call("POST", "/cards/exports", None, &m.partner.token)
        .await;
    assert_eq!(export.status, StatusCode::CREATED, "{:?}", export.body);

    let dir = std::env::temp_dir().join(format!("cards-calc-{}", shared::domain::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for (name, url) in [
        ("karteninhaber", &export.body["cardholders_url"]),
        ("buchungen", &export.body["bookings_url"]),
        ("druckerei", &batch.body["csv_url"]),
    ] {
        let bytes = reqwest::get(url.as_str().unwrap())
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let path = dir.join(format!("{name}.csv"));
        std::fs::write(&path, bytes).unwrap();
        files.push(path);
    }
    let sheets = open_in_calc(&files, &dir);
    let (holders, bookings, print) = (&sheets[0], &sheets[1], &sheets[2]);

    // Cardholders: card number and postal code as text, dates as dates, names never run.
    assert_eq!(holders.len(), 6, "{holders:?}");
    for row in 1..holders.len() {
        let card = at(holders, row, "Kartennummer");
        assert_eq!(card.kind, "string", "{card:?}");
        let digits = card.value.replace(' ', "");
        assert!(cards::luhn::is_valid(&digits), "{card:?}");
        assert!(cards.iter().any(|c| c.0 == digits), "{card:?}");
        let plz = at(holders, row, "PLZ");
        assert_eq!((plz.kind.as_str(), plz.value.as_str()), ("string", "01067"));
        let registered = at(holders, row, "Registriert am");
        assert_eq!(
            (registered.kind.as_str(), registered.value.as_str()),
            ("date", "2026-11-24")
        );
        let consent = at(holders, row, "Einwilligung am");
        assert_eq!(consent.kind, "date", "{consent:?}");
        assert_eq!(consent.value, "2026-11-24T11:00:00", "Berlin time");
        let year = at(holders, row, "Geburtsjahr");
        assert_eq!((year.kind.as_str(), year.value.as_str()), ("float", "1988"));
        let first = at(holders, row, "Vorname");
        assert_eq!(first.kind, "string", "{first:?}");
        assert!(first.formula.is_none(), "no formula runs: {first:?}");
        assert!(
            first.value.ends_with("Anna")
                || first.value.ends_with("=1+2")
                || first.value.ends_with("@SUMME(A1)"),
            "{first:?}"
        );
        assert_eq!(at(holders, row, "Nachname").value, "Müller");
    }
    for name in names {
        assert!(
            (1..holders.len())
                .any(|r| at(holders, r, "Vorname").value.trim_start_matches('\'') == name),
            "{name} is shown as typed"
        );
    }

    // Bookings: euros with the decimal comma read as numbers, the card number as text.
    assert_eq!(bookings.len(), 3, "{bookings:?}");
    let top_up = (1..3)
        .find(|&r| at(bookings, r, "Art").value == "Aufgeladen")
        .unwrap();
    let pay = (1..3)
        .find(|&r| at(bookings, r, "Art").value == "Bezahlt")
        .unwrap();
    let change = at(bookings, top_up, "Änderung");
    assert_eq!(
        (change.kind.as_str(), change.value.as_str()),
        ("float", "123.5")
    );
    assert_eq!(at(bookings, top_up, "Einheit").value, "€");
    let paid = at(bookings, pay, "Änderung");
    assert_eq!((paid.kind.as_str(), paid.value.as_str()), ("float", "-0.5"));
    let value = at(bookings, pay, "Wert (€)");
    assert_eq!(
        (value.kind.as_str(), value.value.as_str()),
        ("float", "0.5")
    );
    let card = at(bookings, pay, "Kartennummer");
    assert_eq!(
        (card.kind.as_str(), card.value.replace(' ', "")),
        ("string", number.clone())
    );
    let day = at(bookings, pay, "Datum");
    assert_eq!(
        (day.kind.as_str(), day.value.as_str()),
        ("date", "2026-11-24")
    );

    // The print shop's file: the numbers as printed, as text.
    assert_eq!(print.len(), 3, "{print:?}");
    for row in 1..3 {
        let card = at(print, row, "Kartennummer");
        assert_eq!(card.kind, "string", "{card:?}");
        assert_eq!(card.value.len(), 19, "{card:?}");
        assert!(cards::luhn::is_valid(&card.value.replace(' ', "")));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
