//! The invoice as XRechnung 3.0 (UBL 2.1 Invoice, CIUS of EN 16931): payment means 59
//! (SEPA direct debit) with the mandate reference, the creditor id and the debited IBAN,
//! or 58 (credit transfer to the operator's account) without a mandate; the partner id as
//! buyer reference (BR-DE-15); the seller's contact (BR-DE-2).
//!
//! A credit note is a UBL CreditNote of type 381 (BR-CL-01 keeps 381 out of an Invoice):
//! its amounts and quantities are positive there, the document type says they are credited,
//! and `BillingReference` names the cancelled invoice.

use crate::config::BillingConfig;
use crate::invoice::Invoice;
use crate::lines::VAT_PERCENT;
use crate::xml::{Xml, amount};
use shared::clock::german_date;

const CUSTOMIZATION: &str = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0";
const PROFILE: &str = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0";

fn tax_category(x: &mut Xml, element: &str) {
    x.open(element)
        .leaf("cbc:ID", "S")
        .leaf("cbc:Percent", &VAT_PERCENT.to_string());
    x.open("cac:TaxScheme").leaf("cbc:ID", "VAT").close();
    x.close();
}

fn address(x: &mut Xml, street: &str, city: &str, postal_code: &str, country: &str) {
    x.open("cac:PostalAddress")
        .leaf("cbc:StreetName", street)
        .leaf("cbc:CityName", city)
        .leaf("cbc:PostalZone", postal_code);
    x.open("cac:Country")
        .leaf("cbc:IdentificationCode", country)
        .close();
    x.close();
}

/// The XML; `debited_iban` is the opened IBAN of the invoice's direct debit, if any.
pub fn write(
    config: &BillingConfig,
    invoice: &Invoice,
    debited_iban: Option<&str>,
) -> Result<Vec<u8>, std::io::Error> {
    let eur = [("currencyID", "EUR")];
    let from = invoice.lines.iter().map(|l| l.period_from).min();
    let to = invoice.lines.iter().map(|l| l.period_to).max();
    let due = invoice
        .debit
        .as_ref()
        .map(|d| d.collection_date)
        .unwrap_or_else(|| {
            invoice
                .issued_on
                .checked_add(jiff::Span::new().days(config.prenotification_days))
                .unwrap_or(invoice.issued_on)
        });
    let r = &invoice.recipient;
    let credit = invoice.is_credit_note();
    // In a CreditNote the credited amounts are positive; the record keeps them negated.
    let amount = |c: shared::domain::Cents| {
        if credit {
            amount(shared::domain::Cents(c.0.abs()))
        } else {
            amount(c)
        }
    };
    let (root, namespace, type_code, line_element, quantity_element) = if credit {
        (
            "ubl:CreditNote",
            "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
            ("cbc:CreditNoteTypeCode", "381"),
            "cac:CreditNoteLine",
            "cbc:CreditedQuantity",
        )
    } else {
        (
            "ubl:Invoice",
            "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
            ("cbc:InvoiceTypeCode", "380"),
            "cac:InvoiceLine",
            "cbc:InvoicedQuantity",
        )
    };

    let mut x = Xml::new();
    x.open_with(
        root,
        &[
            ("xmlns:ubl", namespace),
            (
                "xmlns:cac",
                "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
            ),
            (
                "xmlns:cbc",
                "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
            ),
        ],
    );
    x.leaf("cbc:CustomizationID", CUSTOMIZATION)
        .leaf("cbc:ProfileID", PROFILE)
        .leaf("cbc:ID", &invoice.number)
        .leaf("cbc:IssueDate", &invoice.issued_on.to_string());
    if !credit {
        x.leaf("cbc:DueDate", &due.to_string());
    }
    x.leaf(type_code.0, type_code.1);
    let note = match &invoice.debit {
        _ if invoice.is_credit_note() => format!(
            "Stornorechnung zu Rechnung {}. Bereits Bezahltes oder per Lastschrift Eingezogenes erstatten wir per Überweisung; andernfalls wird die Rechnung nicht mehr eingezogen.",
            invoice
                .cancels
                .as_ref()
                .map_or("", |c| c.invoice_number.as_str())
        ),
        Some(d) => format!(
            "Der Rechnungsbetrag wird per SEPA-Lastschrift (Mandat {}) am {} eingezogen.",
            d.mandate_reference,
            german_date(d.collection_date)
        ),
        None => format!(
            "Bitte überweisen Sie den Rechnungsbetrag bis {} unter Angabe der Rechnungsnummer.",
            german_date(due)
        ),
    };
    x.leaf("cbc:Note", &note)
        .leaf("cbc:DocumentCurrencyCode", "EUR")
        .leaf("cbc:BuyerReference", invoice.partner_id.as_str());
    if let (Some(from), Some(to)) = (from, to) {
        x.open("cac:InvoicePeriod")
            .leaf("cbc:StartDate", &from.to_string())
            .leaf("cbc:EndDate", &to.to_string())
            .close();
    }
    // BT-25/BT-26: the invoice a credit note cancels.
    if let Some(cancelled) = &invoice.cancels {
        x.open("cac:BillingReference")
            .open("cac:InvoiceDocumentReference");
        x.leaf("cbc:ID", &cancelled.invoice_number)
            .leaf("cbc:IssueDate", &cancelled.invoice_issued_on.to_string());
        x.close().close();
    }

    x.open("cac:AccountingSupplierParty").open("cac:Party");
    x.leaf_with(
        "cbc:EndpointID",
        &[("schemeID", "EM")],
        &config.contact_email,
    );
    x.open("cac:PartyIdentification")
        .leaf_with("cbc:ID", &[("schemeID", "SEPA")], &config.creditor_id)
        .close();
    address(
        &mut x,
        &config.supplier_street,
        &config.supplier_city,
        &config.supplier_postal_code,
        &config.supplier_country,
    );
    x.open("cac:PartyTaxScheme")
        .leaf("cbc:CompanyID", &config.supplier_vat_id);
    x.open("cac:TaxScheme").leaf("cbc:ID", "VAT").close();
    x.close();
    x.open("cac:PartyLegalEntity")
        .leaf("cbc:RegistrationName", &config.supplier_name)
        .close();
    x.open("cac:Contact")
        .leaf("cbc:Name", &config.contact_name)
        .leaf("cbc:Telephone", &config.contact_phone)
        .leaf("cbc:ElectronicMail", &config.contact_email)
        .close();
    x.close().close();

    x.open("cac:AccountingCustomerParty").open("cac:Party");
    x.leaf_with("cbc:EndpointID", &[("schemeID", "EM")], r.email.as_str());
    address(
        &mut x,
        &r.address.street,
        &r.address.city,
        &r.address.postal_code,
        &r.address.country,
    );
    // BR-CO-9: a VAT id starts with its country's code.
    if let Some(vat_id) = r.vat_id.as_deref().filter(|v| {
        v.len() > 2
            && v.get(..2)
                .is_some_and(|c| c.chars().all(|c| c.is_ascii_uppercase()))
    }) {
        x.open("cac:PartyTaxScheme").leaf("cbc:CompanyID", vat_id);
        x.open("cac:TaxScheme").leaf("cbc:ID", "VAT").close();
        x.close();
    }
    x.open("cac:PartyLegalEntity")
        .leaf("cbc:RegistrationName", &r.company)
        .close();
    x.close().close();

    x.open("cac:PaymentMeans");
    match (&invoice.debit, debited_iban) {
        // A credit note is paid back by the operator: no instrument of the partner's to name.
        _ if invoice.is_credit_note() => {
            x.leaf("cbc:PaymentMeansCode", "1")
                .leaf("cbc:PaymentID", &invoice.number);
        }
        (Some(d), Some(iban)) => {
            x.leaf("cbc:PaymentMeansCode", "59")
                .leaf("cbc:PaymentID", &invoice.number);
            x.open("cac:PaymentMandate")
                .leaf("cbc:ID", &d.mandate_reference);
            x.open("cac:PayerFinancialAccount")
                .leaf("cbc:ID", iban)
                .close();
            x.close();
        }
        _ => {
            x.leaf("cbc:PaymentMeansCode", "58")
                .leaf("cbc:PaymentID", &invoice.number);
            x.open("cac:PayeeFinancialAccount")
                .leaf("cbc:ID", &config.creditor_iban)
                .close();
        }
    }
    x.close();
    x.open("cac:PaymentTerms").leaf("cbc:Note", &note).close();

    let t = &invoice.totals;
    x.open("cac:TaxTotal")
        .leaf_with("cbc:TaxAmount", &eur, &amount(t.vat_cents));
    x.open("cac:TaxSubtotal")
        .leaf_with("cbc:TaxableAmount", &eur, &amount(t.net_cents))
        .leaf_with("cbc:TaxAmount", &eur, &amount(t.vat_cents));
    tax_category(&mut x, "cac:TaxCategory");
    x.close().close();
    x.open("cac:LegalMonetaryTotal")
        .leaf_with("cbc:LineExtensionAmount", &eur, &amount(t.net_cents))
        .leaf_with("cbc:TaxExclusiveAmount", &eur, &amount(t.net_cents))
        .leaf_with("cbc:TaxInclusiveAmount", &eur, &amount(t.gross_cents))
        .leaf_with("cbc:PayableAmount", &eur, &amount(t.gross_cents))
        .close();

    for (i, line) in invoice.lines.iter().enumerate() {
        x.open(line_element)
            .leaf("cbc:ID", &(i + 1).to_string())
            .leaf_with(
                quantity_element,
                &[("unitCode", line.unit.code())],
                &if credit {
                    line.quantity.abs()
                } else {
                    line.quantity
                }
                .to_string(),
            )
            .leaf_with("cbc:LineExtensionAmount", &eur, &amount(line.net_cents));
        x.open("cac:InvoicePeriod")
            .leaf("cbc:StartDate", &line.period_from.to_string())
            .leaf("cbc:EndDate", &line.period_to.to_string())
            .close();
        x.open("cac:Item").leaf("cbc:Name", &line.description);
        tax_category(&mut x, "cac:ClassifiedTaxCategory");
        x.close();
        x.open("cac:Price")
            .leaf_with("cbc:PriceAmount", &eur, &amount(line.unit_price_cents))
            .close();
        x.close();
    }
    x.finish()
}
