//! The operator's data every invoice and the SEPA file carry (§14 UStG, SEPA creditor):
//! typed, read once at cold start, failing fast with the missing variable's name.

use shared::config::{ConfigError, optional, required};
use shared::domain::Iban;

/// The supplier (the platform operator) and its direct-debit settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingConfig {
    pub supplier_name: String,
    pub supplier_street: String,
    pub supplier_postal_code: String,
    pub supplier_city: String,
    /// ISO 3166-1 alpha-2.
    pub supplier_country: String,
    /// USt-IdNr., printed on every invoice (§14 (4) Nr. 2 UStG).
    pub supplier_vat_id: String,
    /// The seller's contact in the XRechnung (BT-41..43).
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    /// SEPA creditor identifier (Gläubiger-Identifikationsnummer).
    pub creditor_id: String,
    /// The account the direct debits are collected to.
    pub creditor_iban: String,
    pub creditor_bic: String,
    /// Days between the invoice (the pre-notification) and the collection.
    pub prenotification_days: i64,
}

impl BillingConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let iban = required("BILLING_CREDITOR_IBAN")?;
        let iban = Iban::parse(&iban)
            .map_err(|reason| ConfigError::Invalid {
                name: "BILLING_CREDITOR_IBAN",
                reason: reason.to_string(),
            })?
            .electronic()
            .to_string();
        let days = match optional("BILLING_PRENOTIFICATION_DAYS") {
            None => 14,
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|d| (1..=60).contains(d))
                .ok_or(ConfigError::Invalid {
                    name: "BILLING_PRENOTIFICATION_DAYS",
                    reason: "a number of days from 1 to 60".into(),
                })?,
        };
        Ok(Self {
            supplier_name: required("BILLING_SUPPLIER_NAME")?,
            supplier_street: required("BILLING_SUPPLIER_STREET")?,
            supplier_postal_code: required("BILLING_SUPPLIER_POSTAL_CODE")?,
            supplier_city: required("BILLING_SUPPLIER_CITY")?,
            supplier_country: optional("BILLING_SUPPLIER_COUNTRY").unwrap_or_else(|| "DE".into()),
            supplier_vat_id: required("BILLING_SUPPLIER_VAT_ID")?,
            contact_name: required("BILLING_CONTACT_NAME")?,
            contact_phone: required("BILLING_CONTACT_PHONE")?,
            contact_email: required("BILLING_CONTACT_EMAIL")?,
            creditor_id: required("BILLING_CREDITOR_ID")?,
            creditor_iban: iban,
            creditor_bic: required("BILLING_CREDITOR_BIC")?,
            prenotification_days: days,
        })
    }

    /// Sample operator data for local runs and tests (a valid test creditor id and IBAN).
    pub fn local() -> Self {
        Self {
            supplier_name: "partnernetz GmbH".into(),
            supplier_street: "Musterstraße 1".into(),
            supplier_postal_code: "10115".into(),
            supplier_city: "Berlin".into(),
            supplier_country: "DE".into(),
            supplier_vat_id: "DE999999999".into(),
            contact_name: "Buchhaltung partnernetz".into(),
            contact_phone: "+49 30 1234567".into(),
            contact_email: "buchhaltung@partnernetz.de".into(),
            creditor_id: "DE98ZZZ09999999999".into(),
            creditor_iban: "DE02120300000000202051".into(),
            creditor_bic: "BYLADEM1001".into(),
            prenotification_days: 14,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_local_creditor_account_is_a_valid_iban() {
        let c = super::BillingConfig::local();
        assert!(shared::domain::Iban::parse(&c.creditor_iban).is_ok());
        assert_eq!(c.prenotification_days, 14);
    }
}
