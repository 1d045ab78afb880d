//! The invoice as a PDF/A (A4, German) with every §14 UStG field: supplier and recipient
//! with addresses, the supplier's VAT id, invoice date and number, the delivery period,
//! quantity and kind of each service, net, rate, VAT and gross, and the SEPA
//! pre-notification (mandate reference, creditor id, collection date).
//!
//! Laid out from measured text widths (`shared::pdf::text_width_mm`), so no text is printed
//! over another: the table's columns are as wide as their widest cell, the description
//! takes the rest and wraps (a period goes on two lines when the description would get too
//! narrow), a value too long for its label's row goes on the row below, and long names wrap
//! within their block.

use shared::domain::Cents;
use shared::pdf::{Align, Info, Page, Weight, line_height_mm, render, text_width_mm, wrap};

use crate::config::BillingConfig;
use crate::invoice::Invoice;
use crate::lines::{InvoiceLine, Unit, VAT_PERCENT};
use shared::clock::german_date;

const LEFT: f32 = 20.0;
const RIGHT: f32 = 190.0;
/// Where a page's content must end; the footer sits below.
const BOTTOM: f32 = 265.0;
const FOOTER_RULE: f32 = 275.0;
const FOOTER_SIZE: f32 = 7.5;
/// Space between two columns, or between a label and its value.
const GAP: f32 = 4.0;
/// The recipient's address field (DIN 5008: 85 mm wide).
const ADDRESS_WIDTH: f32 = 85.0;
const ADDRESS_SIZE: f32 = 10.0;
/// The invoice's facts (number, date, customer number, VAT ids) at the top right.
const FACTS_LEFT: f32 = 125.0;
const FACT_SIZE: f32 = 8.0;
const FACT_ROW: f32 = 5.0;
/// The title, at the latest below both blocks above it.
const TITLE_Y: f32 = 85.0;
const TABLE_SIZE: f32 = 9.0;
/// Where the table starts again on a following page.
const CONTINUED_Y: f32 = 25.0;
/// Below this width the description column gets the period's second line instead.
const MIN_DESCRIPTION: f32 = 60.0;
const TOTALS_SIZE: f32 = 10.0;
const TOTALS_ROW: f32 = 6.0;
/// Where the totals' labels start, if the amounts leave room.
const TOTALS_LEFT: f32 = 112.0;
const PAYMENT_SIZE: f32 = 9.0;
const NOTE_SIZE: f32 = 8.0;
const ROUNDING_NOTE: &str = "Alle Beträge in Euro. Rundung: Zeilenbeträge kaufmännisch auf volle \
     Cent; die Umsatzsteuer wird einmal auf die Nettosumme der Rechnung berechnet.";

fn width(text: &str, size: f32, weight: Weight) -> f32 {
    text_width_mm(text, size, weight)
}

fn footer(page: &mut Page, config: &BillingConfig) {
    page.rule(LEFT, FOOTER_RULE, RIGHT, FOOTER_RULE, 0.5);
    page.paragraph(
        LEFT,
        FOOTER_RULE + 5.0,
        RIGHT - LEFT,
        FOOTER_SIZE,
        Weight::Regular,
        &format!(
            "{} · {} · {} {} · USt-IdNr. {} · Gläubiger-ID {}",
            config.supplier_name,
            config.supplier_street,
            config.supplier_postal_code,
            config.supplier_city,
            config.supplier_vat_id,
            config.creditor_id
        ),
    );
}

/// "1 Monat", "12 Monate", "-1 Monat" (a credit note's line), "3 Stück".
fn quantity_text(quantity: i64, unit: Unit) -> String {
    let name = match (unit, quantity.abs() == 1) {
        (_, true) | (Unit::Piece, false) => unit.german(),
        (Unit::Lump, false) => "Pauschalen",
        (Unit::Month, false) => "Monate",
        (Unit::Year, false) => "Jahre",
    };
    format!("{quantity} {name}")
}

/// What one line of the table prints, before it is wrapped.
struct Cells {
    description: String,
    from: String,
    to: String,
    quantity: String,
    price: String,
    net: String,
}

impl Cells {
    fn of(line: &InvoiceLine) -> Self {
        Self {
            description: line.description.clone(),
            from: german_date(line.period_from),
            to: german_date(line.period_to),
            quantity: quantity_text(line.quantity, line.unit),
            price: line.unit_price_cents.to_string(),
            net: line.net_cents.to_string(),
        }
    }

    /// The period on one line, or on two ("06.12.2026–" above "31.12.2026").
    fn period(&self, split: bool) -> Vec<String> {
        if split {
            vec![format!("{}–", self.from), self.to.clone()]
        } else {
            vec![format!("{}–{}", self.from, self.to)]
        }
    }
}

const HEADS: [&str; 5] = ["Leistung", "Zeitraum", "Menge", "Einzelpreis", "Netto"];

/// The table's columns, measured from the header and every cell: the amounts and the
/// quantity right-aligned at the right, the period left of them, the description in the
/// width that remains.
struct Columns {
    description_width: f32,
    period_left: f32,
    split_period: bool,
    quantity_right: f32,
    price_right: f32,
}

impl Columns {
    fn measure(cells: &[Cells]) -> Self {
        let widest = |head: &str, cell: &dyn Fn(&Cells) -> Vec<String>| {
            cells
                .iter()
                .flat_map(cell)
                .map(|text| width(&text, TABLE_SIZE, Weight::Regular))
                .fold(width(head, TABLE_SIZE, Weight::Bold), f32::max)
        };
        let net = widest(HEADS[4], &|c| vec![c.net.clone()]);
        let price = widest(HEADS[3], &|c| vec![c.price.clone()]);
        let quantity = widest(HEADS[2], &|c| vec![c.quantity.clone()]);
        let price_right = RIGHT - net - GAP;
        let quantity_right = price_right - price - GAP;
        let period_right = quantity_right - quantity - GAP;
        let one_line = widest(HEADS[1], &|c| c.period(false));
        let split_period = period_right - one_line - GAP - LEFT < MIN_DESCRIPTION;
        let period = if split_period {
            widest(HEADS[1], &|c| c.period(true))
        } else {
            one_line
        };
        let period_left = period_right - period;
        Self {
            description_width: period_left - GAP - LEFT,
            period_left,
            split_period,
            quantity_right,
            price_right,
        }
    }

    fn head(&self, page: &mut Page, y: f32) -> f32 {
        let placed = [
            (LEFT, Align::Left),
            (self.period_left, Align::Left),
            (self.quantity_right, Align::Right),
            (self.price_right, Align::Right),
            (RIGHT, Align::Right),
        ];
        for (label, (x, align)) in HEADS.iter().zip(placed) {
            page.text(x, y, TABLE_SIZE, Weight::Bold, align, label);
        }
        page.rule(LEFT, y + 2.0, RIGHT, y + 2.0, 0.5);
        y + 7.0
    }
}

/// "Rechnung 2026-000001" or "Stornorechnung 2026-000007".
fn title(invoice: &Invoice) -> String {
    if invoice.is_credit_note() {
        format!("Stornorechnung {}", invoice.number)
    } else {
        format!("Rechnung {}", invoice.number)
    }
}

/// The supplier, the recipient's address field and the facts beside it; returns where the
/// lowest of them ends.
fn letterhead(page: &mut Page, config: &BillingConfig, invoice: &Invoice) -> f32 {
    let r = &invoice.recipient;
    page.paragraph(
        LEFT,
        20.0,
        RIGHT - LEFT,
        14.0,
        Weight::Bold,
        &config.supplier_name,
    );
    page.text(
        LEFT,
        28.0,
        9.0,
        Weight::Regular,
        Align::Left,
        &format!(
            "{}, {} {}",
            config.supplier_street, config.supplier_postal_code, config.supplier_city
        ),
    );
    page.paragraph(
        LEFT,
        40.0,
        ADDRESS_WIDTH,
        7.5,
        Weight::Regular,
        &format!(
            "{} · {} · {} {}",
            config.supplier_name,
            config.supplier_street,
            config.supplier_postal_code,
            config.supplier_city
        ),
    );
    let mut address_end = 47.0;
    for line in [
        r.company.clone(),
        r.contact_name.clone(),
        r.address.street.clone(),
        format!("{} {}", r.address.postal_code, r.address.city),
    ] {
        address_end = page.paragraph(
            LEFT,
            address_end,
            ADDRESS_WIDTH,
            ADDRESS_SIZE,
            Weight::Regular,
            &line,
        );
    }
    let customer = invoice
        .customer_number
        .clone()
        .unwrap_or_else(|| invoice.partner_id.to_string());
    let mut facts = vec![
        ("Rechnungsnummer", invoice.number.clone()),
        ("Rechnungsdatum", german_date(invoice.issued_on)),
        ("Kundennummer", customer),
        ("USt-IdNr. Leistender", config.supplier_vat_id.clone()),
    ];
    if let Some(vat_id) = &r.vat_id {
        facts.push(("USt-IdNr. Empfänger", vat_id.clone()));
    }
    let mut y = 47.0;
    let room = RIGHT - FACTS_LEFT;
    for (label, value) in facts {
        page.text(
            FACTS_LEFT,
            y,
            FACT_SIZE,
            Weight::Regular,
            Align::Left,
            label,
        );
        let beside = width(label, FACT_SIZE, Weight::Regular)
            + GAP
            + width(&value, FACT_SIZE, Weight::Regular)
            <= room;
        if beside {
            page.text(RIGHT, y, FACT_SIZE, Weight::Regular, Align::Right, &value);
        } else {
            // Too long for the label's row: right-aligned on the rows below it.
            for line in wrap(&value, room, FACT_SIZE, Weight::Regular) {
                y += line_height_mm(FACT_SIZE);
                page.text(RIGHT, y, FACT_SIZE, Weight::Regular, Align::Right, &line);
            }
        }
        y += FACT_ROW;
    }
    address_end.max(y)
}

/// The payment text: the SEPA pre-notification, the transfer details, or the refund.
fn payment_text(config: &BillingConfig, invoice: &Invoice) -> String {
    let t = &invoice.totals;
    match &invoice.debit {
        _ if invoice.is_credit_note() => format!(
            "Haben Sie die stornierte Rechnung bereits bezahlt oder wurde sie bereits per \
             Lastschrift eingezogen, erstatten wir Ihnen {} innerhalb von {} Tagen per \
             Überweisung; andernfalls wird sie nicht mehr eingezogen.",
            Cents(t.gross_cents.0.abs()),
            config.prenotification_days,
        ),
        Some(d) => format!(
            "Vorabankündigung (Pre-Notification): Wir ziehen den Rechnungsbetrag von {} am {} \
             per SEPA-Basislastschrift von Ihrem Konto {} ein. Mandatsreferenz {} vom {}, \
             Gläubiger-Identifikationsnummer {}.",
            t.gross_cents,
            german_date(d.collection_date),
            d.iban_masked,
            d.mandate_reference,
            german_date(d.mandate_signed_on),
            config.creditor_id,
        ),
        None => format!(
            "Bitte überweisen Sie {} innerhalb von {} Tagen unter Angabe der Rechnungsnummer \
             {} auf das Konto IBAN {} (BIC {}). Für den bequemen Lastschrifteinzug können Sie \
             im Partnerportal ein SEPA-Mandat erteilen.",
            t.gross_cents,
            config.prenotification_days,
            invoice.number,
            config.creditor_iban,
            config.creditor_bic
        ),
    }
}

/// The height of `text` set as a paragraph `width` wide.
fn paragraph_height(text: &str, width: f32, size: f32) -> f32 {
    wrap(text, width, size, Weight::Regular).len() as f32 * line_height_mm(size)
}

pub fn render_pdf(config: &BillingConfig, invoice: &Invoice) -> Result<Vec<u8>, shared::Error> {
    let mut pages = Vec::new();
    let mut page = Page::new();
    let above = letterhead(&mut page, config, invoice);

    let title = title(invoice);
    let title_y = TITLE_Y.max(above + 8.0);
    page.text(LEFT, title_y, 16.0, Weight::Bold, Align::Left, &title);
    let from = invoice.lines.iter().map(|l| l.period_from).min();
    let to = invoice.lines.iter().map(|l| l.period_to).max();
    if let (Some(from), Some(to)) = (from, to) {
        page.text(
            LEFT,
            title_y + 7.0,
            10.0,
            Weight::Regular,
            Align::Left,
            &format!(
                "Leistungszeitraum: {} bis {}",
                german_date(from),
                german_date(to)
            ),
        );
    }
    let mut y = title_y + 19.0;
    if let Some(cancelled) = &invoice.cancels {
        let reference = format!(
            "Storno der Rechnung {} vom {}. Grund: {}",
            cancelled.invoice_number,
            german_date(cancelled.invoice_issued_on),
            cancelled.reason
        );
        y = page.paragraph(
            LEFT,
            title_y + 13.0,
            RIGHT - LEFT,
            10.0,
            Weight::Regular,
            &reference,
        ) + 4.0;
    }

    let cells: Vec<Cells> = invoice.lines.iter().map(Cells::of).collect();
    let columns = Columns::measure(&cells);
    let line_height = line_height_mm(TABLE_SIZE);
    let mut y = columns.head(&mut page, y);
    for cell in &cells {
        let description = wrap(
            &cell.description,
            columns.description_width,
            TABLE_SIZE,
            Weight::Regular,
        );
        let period = cell.period(columns.split_period);
        let rows = description.len().max(period.len()) as f32;
        if y + rows * line_height > BOTTOM {
            footer(&mut page, config);
            pages.push(std::mem::take(&mut page));
            y = columns.head(&mut page, CONTINUED_Y);
        }
        let regular = |page: &mut Page, x: f32, y: f32, align: Align, text: &str| {
            page.text(x, y, TABLE_SIZE, Weight::Regular, align, text);
        };
        for (i, text) in description.iter().enumerate() {
            regular(
                &mut page,
                LEFT,
                y + i as f32 * line_height,
                Align::Left,
                text,
            );
        }
        for (i, text) in period.iter().enumerate() {
            let at = y + i as f32 * line_height;
            regular(&mut page, columns.period_left, at, Align::Left, text);
        }
        regular(
            &mut page,
            columns.quantity_right,
            y,
            Align::Right,
            &cell.quantity,
        );
        regular(&mut page, columns.price_right, y, Align::Right, &cell.price);
        regular(&mut page, RIGHT, y, Align::Right, &cell.net);
        y += rows * line_height + 1.5;
    }

    let t = &invoice.totals;
    let totals = [
        ("Summe netto".to_string(), t.net_cents, Weight::Regular),
        (
            format!("Umsatzsteuer {VAT_PERCENT} % auf {}", t.net_cents),
            t.vat_cents,
            Weight::Regular,
        ),
        (
            if invoice.is_credit_note() {
                "Gutschriftsbetrag brutto"
            } else {
                "Rechnungsbetrag brutto"
            }
            .to_string(),
            t.gross_cents,
            Weight::Bold,
        ),
    ];
    let payment = payment_text(config, invoice);
    let closing = 6.0
        + totals.len() as f32 * TOTALS_ROW
        + 4.0
        + paragraph_height(&payment, RIGHT - LEFT, PAYMENT_SIZE)
        + 3.0
        + paragraph_height(ROUNDING_NOTE, RIGHT - LEFT, NOTE_SIZE);
    if y + closing > BOTTOM {
        footer(&mut page, config);
        pages.push(std::mem::take(&mut page));
        y = CONTINUED_Y;
    }
    page.rule(LEFT, y, RIGHT, y, 0.5);
    y += 6.0;
    // The labels start at TOTALS_LEFT, or further left when the amounts need the room.
    let widest_label = totals
        .iter()
        .map(|(label, _, weight)| width(label, TOTALS_SIZE, *weight))
        .fold(0.0, f32::max);
    let widest_amount = totals
        .iter()
        .map(|(_, amount, weight)| width(&amount.to_string(), TOTALS_SIZE, *weight))
        .fold(0.0, f32::max);
    let label_left = TOTALS_LEFT.min(RIGHT - widest_amount - GAP - widest_label);
    for (label, amount, weight) in &totals {
        page.text(label_left, y, TOTALS_SIZE, *weight, Align::Left, label);
        page.text(
            RIGHT,
            y,
            TOTALS_SIZE,
            *weight,
            Align::Right,
            &amount.to_string(),
        );
        y += TOTALS_ROW;
    }
    y += 4.0;
    y = page.paragraph(
        LEFT,
        y,
        RIGHT - LEFT,
        PAYMENT_SIZE,
        Weight::Regular,
        &payment,
    );
    page.paragraph(
        LEFT,
        y + 3.0,
        RIGHT - LEFT,
        NOTE_SIZE,
        Weight::Regular,
        ROUNDING_NOTE,
    );
    footer(&mut page, config);
    pages.push(page);

    let info = Info {
        title,
        author: config.supplier_name.clone(),
        created: invoice.created_at,
    };
    Ok(render(&info, &pages)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoice::{DocumentKind, Recipient};
    use crate::lines::{Product, Totals};
    use jiff::civil::date;
    use shared::domain::Month;
    use shared::domain::{Email, PartnerId};
    use shared::model::partners::Address;
    use shared::testing::pdf_layout::{overlapping_words, word_boxes};

    /// An invoice issued before partners had customer numbers prints the partner id: whole,
    /// on the row below its label, over nothing else.
    #[test]
    #[ignore = "needs emulators: cargo xtask test"]
    fn an_invoice_without_a_customer_number_prints_the_partner_id_legibly() {
        let id = "01a249c4-1d1c-770f-82a2-eef441fe7b6c";
        let lines = vec![InvoiceLine::new(
            Product::PlatformSubscription,
            "Plattform-Abo Sparkasse, Dezember 2026".into(),
            (date(2026, 12, 6), date(2026, 12, 31)),
            1,
            Unit::Month,
            Cents(4900),
        )];
        let invoice = Invoice {
            number: "2026-000001".into(),
            partner_id: PartnerId::from_raw(id),
            customer_number: None,
            period: Month::parse("2026-12").unwrap(),
            issued_on: date(2026, 12, 1),
            recipient: Recipient {
                company: "Bäckerei Müller".into(),
                contact_name: "Anna Müller".into(),
                address: Address {
                    street: "Hauptstr. 1".into(),
                    postal_code: "10115".into(),
                    city: "Berlin".into(),
                    country: "DE".into(),
                },
                vat_id: None,
                email: Email::parse("anna@baeckerei.de").unwrap(),
            },
            totals: Totals::of(&lines),
            lines,
            debit: None,
            created_at: "2026-12-01T01:00:00Z".parse().unwrap(),
            kind: DocumentKind::Invoice,
            cancels: None,
        };
        let pdf = render_pdf(&BillingConfig::local(), &invoice).unwrap();
        let boxes = word_boxes(&pdf);
        assert!(overlapping_words(&boxes).is_empty(), "{boxes:#?}");
        let label = boxes.iter().find(|b| b.text == "Kundennummer").unwrap();
        let value = boxes.iter().find(|b| b.text == id).unwrap();
        assert!(value.top >= label.bottom, "{label:?} {value:?}");
        assert!(value.right <= f64::from(RIGHT) + 0.5, "{value:?}");
    }

    #[test]
    fn quantities_name_their_unit_in_the_right_number() {
        assert_eq!(quantity_text(1, Unit::Month), "1 Monat");
        assert_eq!(quantity_text(12, Unit::Month), "12 Monate");
        assert_eq!(quantity_text(-1, Unit::Month), "-1 Monat");
        assert_eq!(quantity_text(2, Unit::Year), "2 Jahre");
        assert_eq!(quantity_text(3, Unit::Piece), "3 Stück");
    }
}
