//! The invoice as a PDF/A (A4, German) with every §14 UStG field: supplier and recipient
//! with addresses, the supplier's VAT id, invoice date and number, the delivery period,
//! quantity and kind of each service, net, rate, VAT and gross, and the SEPA
//! pre-notification (mandate reference, creditor id, collection date).

use shared::pdf::{Align, Info, Page, Weight, render};

use crate::config::BillingConfig;
use crate::invoice::{Invoice, Sequence};
use crate::lines::VAT_PERCENT;
use crate::period::german_date;

const LEFT: f32 = 20.0;
const RIGHT: f32 = 190.0;
/// Where a page's content must end; the footer sits below.
const BOTTOM: f32 = 265.0;

fn footer(page: &mut Page, config: &BillingConfig) {
    page.rule(LEFT, 275.0, RIGHT, 275.0, 0.5);
    page.text(
        LEFT,
        280.0,
        7.5,
        Weight::Regular,
        Align::Left,
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

fn table_head(page: &mut Page, y: f32) -> f32 {
    let head = [
        (LEFT, Align::Left, "Leistung"),
        (112.0, Align::Left, "Zeitraum"),
        (148.0, Align::Right, "Menge"),
        (170.0, Align::Right, "Einzelpreis"),
        (RIGHT, Align::Right, "Netto"),
    ];
    for (x, align, label) in head {
        page.text(x, y, 9.0, Weight::Bold, align, label);
    }
    page.rule(LEFT, y + 2.0, RIGHT, y + 2.0, 0.5);
    y + 7.0
}

/// "Rechnung 2026-000001" or "Stornorechnung 2026-000007".
fn title(invoice: &Invoice) -> String {
    if invoice.is_credit_note() {
        format!("Stornorechnung {}", invoice.number)
    } else {
        format!("Rechnung {}", invoice.number)
    }
}

pub fn render_pdf(config: &BillingConfig, invoice: &Invoice) -> Result<Vec<u8>, shared::Error> {
    let mut pages = Vec::new();
    let mut page = Page::new();
    let r = &invoice.recipient;

    page.text(
        LEFT,
        20.0,
        14.0,
        Weight::Bold,
        Align::Left,
        &config.supplier_name,
    );
    page.text(
        LEFT,
        26.0,
        9.0,
        Weight::Regular,
        Align::Left,
        &format!(
            "{}, {} {}",
            config.supplier_street, config.supplier_postal_code, config.supplier_city
        ),
    );
    page.text(
        LEFT,
        40.0,
        7.5,
        Weight::Regular,
        Align::Left,
        &format!(
            "{} · {} · {} {}",
            config.supplier_name,
            config.supplier_street,
            config.supplier_postal_code,
            config.supplier_city
        ),
    );
    let mut y = 47.0;
    for line in [
        r.company.clone(),
        r.contact_name.clone(),
        r.address.street.clone(),
        format!("{} {}", r.address.postal_code, r.address.city),
    ] {
        page.text(LEFT, y, 10.0, Weight::Regular, Align::Left, &line);
        y += 5.0;
    }
    let facts = [
        ("Rechnungsnummer", invoice.number.clone()),
        ("Rechnungsdatum", german_date(invoice.issued_on)),
        ("Kundennummer", invoice.partner_id.to_string()),
        ("USt-IdNr. Leistender", config.supplier_vat_id.clone()),
    ];
    let mut fy = 47.0;
    for (label, value) in facts {
        page.text(125.0, fy, 8.0, Weight::Regular, Align::Left, label);
        page.text(RIGHT, fy, 8.0, Weight::Regular, Align::Right, &value);
        fy += 5.0;
    }
    if let Some(vat_id) = &r.vat_id {
        page.text(
            125.0,
            fy,
            8.0,
            Weight::Regular,
            Align::Left,
            "USt-IdNr. Empfänger",
        );
        page.text(RIGHT, fy, 8.0, Weight::Regular, Align::Right, vat_id);
    }

    let from = invoice.lines.iter().map(|l| l.period_from).min();
    let to = invoice.lines.iter().map(|l| l.period_to).max();
    let title = title(invoice);
    page.text(LEFT, 85.0, 16.0, Weight::Bold, Align::Left, &title);
    if let (Some(from), Some(to)) = (from, to) {
        page.text(
            LEFT,
            92.0,
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

    let mut y = 104.0;
    if let Some(cancelled) = &invoice.cancels {
        let reference = format!(
            "Storno der Rechnung {} vom {}. Grund: {}",
            cancelled.invoice_number,
            german_date(cancelled.invoice_issued_on),
            cancelled.reason
        );
        y = page.paragraph(LEFT, 98.0, RIGHT - LEFT, 10.0, Weight::Regular, &reference) + 4.0;
    }
    let mut y = table_head(&mut page, y);
    for line in &invoice.lines {
        let needed = 10.0;
        if y + needed > BOTTOM {
            footer(&mut page, config);
            pages.push(std::mem::take(&mut page));
            y = table_head(&mut page, 25.0);
        }
        let below = page.paragraph(LEFT, y, 88.0, 9.0, Weight::Regular, &line.description);
        page.text(
            112.0,
            y,
            9.0,
            Weight::Regular,
            Align::Left,
            &format!(
                "{}–{}",
                german_date(line.period_from),
                german_date(line.period_to)
            ),
        );
        page.text(
            148.0,
            y,
            9.0,
            Weight::Regular,
            Align::Right,
            &format!("{} {}", line.quantity, line.unit.german()),
        );
        page.text(
            170.0,
            y,
            9.0,
            Weight::Regular,
            Align::Right,
            &line.unit_price_cents.to_string(),
        );
        page.text(
            RIGHT,
            y,
            9.0,
            Weight::Regular,
            Align::Right,
            &line.net_cents.to_string(),
        );
        y = below + 1.5;
    }
    if y + 60.0 > BOTTOM {
        footer(&mut page, config);
        pages.push(std::mem::take(&mut page));
        y = 25.0;
    }
    page.rule(LEFT, y, RIGHT, y, 0.5);
    y += 6.0;
    let t = &invoice.totals;
    for (label, value, weight) in [
        ("Summe netto", t.net_cents.to_string(), Weight::Regular),
        (
            &*format!("Umsatzsteuer {VAT_PERCENT} % auf {}", t.net_cents),
            t.vat_cents.to_string(),
            Weight::Regular,
        ),
        (
            if invoice.is_credit_note() {
                "Gutschriftsbetrag brutto"
            } else {
                "Rechnungsbetrag brutto"
            },
            t.gross_cents.to_string(),
            Weight::Bold,
        ),
    ] {
        page.text(112.0, y, 10.0, weight, Align::Left, label);
        page.text(RIGHT, y, 10.0, weight, Align::Right, &value);
        y += 6.0;
    }
    y += 4.0;
    let payment = match &invoice.debit {
        _ if invoice.is_credit_note() => format!(
            "Haben Sie die stornierte Rechnung bereits bezahlt oder wurde sie bereits per \
             Lastschrift eingezogen, erstatten wir Ihnen {} innerhalb von {} Tagen per \
             Überweisung; andernfalls wird sie nicht mehr eingezogen.",
            shared::domain::Cents(t.gross_cents.0.abs()),
            config.prenotification_days,
        ),
        Some(d) => format!(
            "Vorabankündigung (Pre-Notification): Wir ziehen den Rechnungsbetrag von {} am {} \
             per SEPA-Basislastschrift von Ihrem Konto {} ein. Mandatsreferenz {} vom {}, \
             Gläubiger-Identifikationsnummer {}{}.",
            t.gross_cents,
            german_date(d.collection_date),
            d.iban_masked,
            d.mandate_reference,
            german_date(d.mandate_signed_on),
            config.creditor_id,
            if d.sequence == Sequence::First {
                " (Erstlastschrift)"
            } else {
                ""
            }
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
    };
    y = page.paragraph(LEFT, y, RIGHT - LEFT, 9.0, Weight::Regular, &payment);
    page.paragraph(
        LEFT,
        y + 3.0,
        RIGHT - LEFT,
        8.0,
        Weight::Regular,
        "Alle Beträge in Euro. Rundung: Zeilenbeträge kaufmännisch auf volle Cent; die \
         Umsatzsteuer wird einmal auf die Nettosumme der Rechnung berechnet.",
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
