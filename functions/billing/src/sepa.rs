//! A SEPA direct-debit file, pain.008.001.08 (SEPA Core): one payment per collection the
//! file holds, grouped by sequence (FRST, RCUR) and collection date, as the banks require
//! one `PmtInf` per combination. Debtors' IBANs are opened only while writing. The same
//! file record and collections always give the same bytes.

use std::collections::BTreeMap;

use jiff::civil::Date;
use shared::domain::Cents;

use crate::config::BillingConfig;
use crate::debit::{Collection, SepaFile};
use crate::xml::{Xml, amount};

const NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08";

#[derive(Debug, thiserror::Error)]
pub enum SepaError {
    #[error("the IBAN of the debit of invoice {0} could not be opened")]
    Iban(String),
    #[error("writing the file: {0}")]
    Write(#[from] std::io::Error),
}

/// The file's content and what it collects.
#[derive(Debug)]
pub struct SepaXml {
    pub xml: Vec<u8>,
    pub payments: usize,
    pub total: Cents,
    /// The collection days it asks for, earliest first.
    pub dates: Vec<Date>,
}

/// The message id: the file's name and its creation time, at most 35 characters.
fn message_id(file: &SepaFile) -> String {
    format!("PN-{}-{}", file.name(), file.created_at.as_second())
}

/// Writes `file` with a payment for each of its `collections`; `open` turns a sealed IBAN
/// into the IBAN.
pub fn write(
    config: &BillingConfig,
    file: &SepaFile,
    collections: &[Collection],
    open: &dyn Fn(&str) -> Option<String>,
) -> Result<SepaXml, SepaError> {
    let mut groups: BTreeMap<(&'static str, Date), Vec<&Collection>> = BTreeMap::new();
    for collection in collections {
        groups
            .entry((collection.sequence.code(), collection.collection_date))
            .or_default()
            .push(collection);
    }
    let total = Cents(collections.iter().map(|c| c.order.amount_cents.0).sum());
    let created = file
        .created_at
        .to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let msg_id = message_id(file);

    let mut x = Xml::new();
    x.open_with("Document", &[("xmlns", NAMESPACE)]);
    x.open("CstmrDrctDbtInitn");
    x.open("GrpHdr")
        .leaf("MsgId", &msg_id)
        .leaf("CreDtTm", &created)
        .leaf("NbOfTxs", &collections.len().to_string())
        .leaf("CtrlSum", &amount(total));
    x.open("InitgPty").leaf("Nm", &config.supplier_name).close();
    x.close();
    for (i, ((sequence, date), group)) in groups.iter().enumerate() {
        let sum = Cents(group.iter().map(|c| c.order.amount_cents.0).sum());
        x.open("PmtInf")
            .leaf("PmtInfId", &format!("{msg_id}-{}", i + 1))
            .leaf("PmtMtd", "DD")
            .leaf("NbOfTxs", &group.len().to_string())
            .leaf("CtrlSum", &amount(sum));
        x.open("PmtTpInf");
        x.open("SvcLvl").leaf("Cd", "SEPA").close();
        x.open("LclInstrm").leaf("Cd", "CORE").close();
        x.leaf("SeqTp", sequence);
        x.close();
        x.leaf("ReqdColltnDt", &date.to_string());
        x.open("Cdtr").leaf("Nm", &config.supplier_name).close();
        x.open("CdtrAcct")
            .open("Id")
            .leaf("IBAN", &config.creditor_iban)
            .close()
            .close();
        x.open("CdtrAgt")
            .open("FinInstnId")
            .leaf("BICFI", &config.creditor_bic)
            .close()
            .close();
        x.leaf("ChrgBr", "SLEV");
        x.open("CdtrSchmeId").open("Id").open("PrvtId").open("Othr");
        x.leaf("Id", &config.creditor_id);
        x.open("SchmeNm").leaf("Prtry", "SEPA").close();
        x.close().close().close().close();
        for collection in group {
            let order = &collection.order;
            let debit = &order.debit;
            let iban = open(&debit.iban_sealed)
                .ok_or_else(|| SepaError::Iban(order.invoice_number.clone()))?;
            x.open("DrctDbtTxInf");
            x.open("PmtId")
                .leaf("EndToEndId", &order.invoice_number)
                .close();
            x.leaf_with("InstdAmt", &[("Ccy", "EUR")], &amount(order.amount_cents));
            x.open("DrctDbtTx").open("MndtRltdInf");
            x.leaf("MndtId", &debit.mandate_reference)
                .leaf("DtOfSgntr", &debit.mandate_signed_on.to_string());
            x.close().close();
            // IBAN-only: German banks find the debtor's bank from the IBAN.
            x.open("DbtrAgt")
                .open("FinInstnId")
                .open("Othr")
                .leaf("Id", "NOTPROVIDED")
                .close()
                .close()
                .close();
            x.open("Dbtr").leaf("Nm", &debit.account_holder).close();
            x.open("DbtrAcct")
                .open("Id")
                .leaf("IBAN", &iban)
                .close()
                .close();
            x.open("RmtInf")
                .leaf(
                    "Ustrd",
                    &format!("Rechnung {} {}", order.invoice_number, order.period),
                )
                .close();
            x.close();
        }
        x.close();
    }
    let mut dates: Vec<Date> = groups.keys().map(|(_, date)| *date).collect();
    dates.sort();
    dates.dedup();
    Ok(SepaXml {
        xml: x.finish()?,
        payments: collections.len(),
        total,
        dates,
    })
}
