//! The contracts each product keeps with a partner (platform subscriptions live in
//! [`super::subscriptions`]; the card contract and the digital customer account follow with
//! their functions). Billing reads them all, so they live here and share one key shape:
//! the partner's partition, a sort key naming the product.

pub mod file_links;

use crate::domain::PartnerId;
use crate::store::Key;

use super::partners::partner_pk;

/// Sort-key prefix of every contract record in a partner's partition.
pub const CONTRACT_PREFIX: &str = "CONTRACT#";

/// The products a partner can hold a contract for, besides platform subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractKind {
    Cards,
    FileLinks,
}

impl ContractKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContractKind::Cards => "CARDS",
            ContractKind::FileLinks => "FILE_LINKS",
        }
    }
}

pub fn contract_key(partner: &PartnerId, kind: ContractKind) -> Key {
    Key::new(
        partner_pk(partner),
        format!("{CONTRACT_PREFIX}{}", kind.as_str()),
    )
}
