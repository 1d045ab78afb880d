//! Where a PDF's words are, as a reader finds them in the file: every word's box on its
//! page, in millimetres from the page's top-left corner, read by poppler's
//! `pdftotext -bbox-layout` (Debian `poppler-utils`; `cargo xtask test` installs it), so a
//! test checks the printed page, not the layout code's own idea of it. Tests that use it
//! need the tool and are marked `#[ignore = "needs emulators: cargo xtask test"]`.

use std::process::Command;

use quick_xml::events::Event;

const MM_PER_POINT: f64 = 25.4 / 72.0;

/// One word (characters between spaces, set next to each other) and its box: from the
/// font's ascender line to its descender line, as wide as its glyphs.
#[derive(Debug, Clone, PartialEq)]
pub struct WordBox {
    /// 1 for the first page.
    pub page: u32,
    pub text: String,
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

impl WordBox {
    /// True when the two boxes share an area (touching edges do not count).
    pub fn overlaps(&self, other: &WordBox) -> bool {
        const EPSILON: f64 = 0.01;
        self.page == other.page
            && self.left < other.right - EPSILON
            && other.left < self.right - EPSILON
            && self.top < other.bottom - EPSILON
            && other.top < self.bottom - EPSILON
    }
}

/// Every word of the PDF with its box, page by page.
pub fn word_boxes(pdf: &[u8]) -> Vec<WordBox> {
    let file = std::env::temp_dir().join(format!("pn-{}.pdf", crate::domain::new_id()));
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg("-bbox-layout")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext is needed (Debian poppler-utils; cargo xtask test installs it)");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "pdftotext cannot read the PDF: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse(&out.stdout)
}

/// Every pair of words whose boxes overlap: text printed over text.
pub fn overlapping_words(boxes: &[WordBox]) -> Vec<(WordBox, WordBox)> {
    let mut pairs = Vec::new();
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            if a.overlaps(b) {
                pairs.push((a.clone(), b.clone()));
            }
        }
    }
    pairs
}

/// The XHTML of `pdftotext -bbox-layout`: `<page>` elements holding
/// `<word xMin yMin xMax yMax>` elements, coordinates in points from the top-left corner.
fn parse(xhtml: &[u8]) -> Vec<WordBox> {
    let mut reader = quick_xml::Reader::from_reader(xhtml);
    let mut buf = Vec::new();
    let mut page = 0;
    let mut open: Option<WordBox> = None;
    let mut words = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.local_name().as_ref() == b"page" => page += 1,
            Ok(Event::Start(e)) if e.local_name().as_ref() == b"word" => {
                let mut word = WordBox {
                    page,
                    text: String::new(),
                    left: 0.0,
                    top: 0.0,
                    right: 0.0,
                    bottom: 0.0,
                };
                for attr in e.attributes().flatten() {
                    let value: f64 = String::from_utf8_lossy(&attr.value)
                        .parse()
                        .unwrap_or_default();
                    let mm = value * MM_PER_POINT;
                    match attr.key.as_ref() {
                        b"xMin" => word.left = mm,
                        b"yMin" => word.top = mm,
                        b"xMax" => word.right = mm,
                        b"yMax" => word.bottom = mm,
                        _ => {}
                    }
                }
                open = Some(word);
            }
            Ok(Event::Text(t)) => {
                if let Some(word) = &mut open {
                    word.text.push_str(&t.decode().unwrap_or_default());
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some(word) = &mut open {
                    let name = r.decode().unwrap_or_default();
                    word.text.push_str(match name.as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        other => other,
                    });
                }
            }
            Ok(Event::End(e)) if e.local_name().as_ref() == b"word" => {
                words.extend(open.take());
            }
            Ok(Event::Eof) => return words,
            Ok(_) => {}
            Err(e) => panic!("pdftotext wrote no readable XHTML: {e}"),
        }
        buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::{Align, Info, Page, Weight, render, text_width_mm};

    fn pdf(page: Page) -> Vec<u8> {
        let info = Info {
            title: "Test".into(),
            author: "partnernetz".into(),
            created: "2026-12-01T01:00:00Z".parse().unwrap(),
        };
        render(&info, &[page]).unwrap()
    }

    #[test]
    #[ignore = "needs emulators: cargo xtask test"]
    fn words_are_found_where_they_are_printed() {
        let mut page = Page::new();
        page.text(
            20.0,
            50.0,
            10.0,
            Weight::Regular,
            Align::Left,
            "Rechnung 2026-000001",
        );
        page.text(190.0, 60.0, 9.0, Weight::Bold, Align::Right, "205,28 €");
        let boxes = word_boxes(&pdf(page));
        let words: Vec<&str> = boxes.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(words, ["Rechnung", "2026-000001", "205,28", "€"]);
        let first = &boxes[0];
        assert!((first.left - 20.0).abs() < 0.1, "{first:?}");
        let width = text_width_mm("Rechnung", 10.0, Weight::Regular);
        assert!(
            (first.right - first.left - f64::from(width)).abs() < 0.2,
            "{first:?}"
        );
        assert!(first.top < 50.0 && first.bottom > 50.0, "{first:?}");
        let euro = &boxes[3];
        assert!((euro.right - 190.0).abs() < 0.3, "{euro:?}");
        assert!(overlapping_words(&boxes).is_empty());
    }

    #[test]
    #[ignore = "needs emulators: cargo xtask test"]
    fn text_printed_over_text_is_found() {
        let mut page = Page::new();
        page.text(
            112.0,
            100.0,
            9.0,
            Weight::Regular,
            Align::Left,
            "06.12.2026–31.12.2026",
        );
        page.text(148.0, 100.0, 9.0, Weight::Regular, Align::Right, "1 Monat");
        page.text(20.0, 110.0, 9.0, Weight::Regular, Align::Left, "Zeile");
        page.text(20.0, 111.0, 9.0, Weight::Regular, Align::Left, "darunter");
        let pairs = overlapping_words(&word_boxes(&pdf(page)));
        let found: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(a, b)| (a.text.as_str(), b.text.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("06.12.2026–31.12.2026", "1"),
                ("06.12.2026–31.12.2026", "Monat"),
                ("Zeile", "darunter")
            ]
        );
    }
}
