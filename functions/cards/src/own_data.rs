//! A cardholder changes the own data (`PATCH /cards/me`): name, e-mail address, gender,
//! birth year, postal code, and the consent to being counted in the merchant's statistics,
//! given or withdrawn. The data stays one sealed document; the till's copy of the first name
//! and the login record's address (where mails go) change with it, in one transaction.

use axum::Json;
use axum::extract::State;
use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize};
use shared::auth::{Scope, TenantAuth};
use shared::domain::{AccountId, Email, PartnerId};
use shared::env::AppState;
use shared::http::{ApiJson, Validator};
use shared::model::accounts::{self, login_key};
use shared::model::stored_email::StoredEmail;
use shared::openapi::Conflict;
use shared::store::{Cond, StoreError, TxOp, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::card::{self, attr};
use crate::holder::{
    self, CARD_OP, Gender, HOLDER_OP, Holder, PersonalData, SEALED, STATISTICS_CONSENT_AT,
    holder_key, valid_birth_year, valid_postal_code,
};

/// The transaction step on the login record (the address mails go to).
const LOGIN_OP: &str = "login";

/// A field that may be given as `null`: `Some(None)`; absent: `None` (serde's
/// `deserialize_with` runs only for a field that is there).
fn given<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// The fields to change; a field left out stays as it is, `null` removes an optional one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "last_name": "Schmidt-Weber", "email": "anna.weber@example.de", "postal_code": "50670",
    "gender": null, "statistics_consent": false
}))]
pub struct OwnDataChange {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<Gender>)]
    pub gender: Option<Option<Gender>>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<i32>, minimum = 1900, maximum = 2100)]
    pub birth_year: Option<Option<i32>>,
    /// Five digits; `null` or blank removes it.
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>)]
    pub postal_code: Option<Option<String>>,
    /// `false` withdraws the consent to being counted in the statistics, `true` gives it.
    pub statistics_consent: Option<bool>,
}

/// A validated change: each field `None` when it stays as it is.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Change {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<Email>,
    pub gender: Option<Option<Gender>>,
    pub birth_year: Option<Option<i16>>,
    pub postal_code: Option<Option<String>>,
    pub statistics_consent: Option<bool>,
}

impl OwnDataChange {
    /// Every offending field named at once, in German.
    pub fn validate(self, today: Date) -> Result<Change> {
        let mut v = Validator::new();
        let first_name = self
            .first_name
            .as_deref()
            .and_then(|n| v.text("first_name", n, 100));
        let last_name = self
            .last_name
            .as_deref()
            .and_then(|n| v.text("last_name", n, 100));
        let email = self
            .email
            .as_deref()
            .and_then(|e| v.check("email", Email::parse(e)));
        let birth_year = self
            .birth_year
            .map(|y| y.and_then(|y| valid_birth_year(&mut v, y, today)));
        let postal_code = self
            .postal_code
            .map(|p| p.as_deref().and_then(|p| valid_postal_code(&mut v, p)));
        v.finish()?;
        Ok(Change {
            first_name,
            last_name,
            email,
            gender: self.gender,
            birth_year,
            postal_code,
            statistics_consent: self.statistics_consent,
        })
    }
}

impl Change {
    /// The data with the change applied.
    pub fn apply(&self, mut data: PersonalData) -> PersonalData {
        if let Some(n) = &self.first_name {
            data.first_name.clone_from(n);
        }
        if let Some(n) = &self.last_name {
            data.last_name.clone_from(n);
        }
        if let Some(e) = &self.email {
            data.email = e.clone();
        }
        if let Some(g) = self.gender {
            data.gender = g;
        }
        if let Some(y) = self.birth_year {
            data.birth_year = y;
        }
        if let Some(p) = &self.postal_code {
            data.postal_code.clone_from(p);
        }
        data
    }
}

/// The holder's data as stored after the change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OwnData {
    pub personal_data: PersonalData,
    /// Whether the holder is counted in the merchant's statistics.
    pub statistics_consent: bool,
}

/// Writes the change over the data as read: the sealed document and the consent, the
/// till's first name when it changed, the login's address when it changed. 409 when the
/// data changed meanwhile (another device): nothing is written.
pub async fn change(
    state: &AppState,
    partner: &PartnerId,
    holder: &Holder,
    change: &Change,
) -> Result<OwnData> {
    let before = holder.open(state)?;
    let after = change.apply(before.clone());
    let key = state.data_key()?;
    let now = state.clock.now();
    let consent_at = match change.statistics_consent {
        Some(true) => Some(holder.statistics_consent_at.unwrap_or(now)),
        Some(false) => None,
        None => holder.statistics_consent_at,
    };
    let consent_op = match consent_at {
        Some(at) => Update::Set(STATISTICS_CONSENT_AT, serde_json::to_value(at)?),
        None => Update::Remove(STATISTICS_CONSENT_AT),
    };
    let mut ops = vec![
        TxOp::Update {
            key: holder_key(partner, &holder.account_id),
            ops: vec![
                Update::Set(SEALED, key.seal(&serde_json::to_string(&after)?).into()),
                consent_op,
            ],
            cond: Cond::Eq(SEALED, holder.sealed.as_str().into()),
        }
        .named(HOLDER_OP),
    ];
    if after.first_name != before.first_name {
        ops.push(
            TxOp::Update {
                key: card::card_key(&holder.number),
                ops: vec![Update::Set(
                    attr::HOLDER_FIRST_NAME,
                    key.seal(&after.first_name).into(),
                )],
                cond: held_by(&holder.account_id),
            }
            .named(CARD_OP),
        );
    }
    if after.email != before.email {
        let stored = StoredEmail::of_login(&after.email, &holder.login, key);
        ops.push(
            TxOp::Update {
                key: login_key(&Scope::Cardholder(partner.clone()), &holder.login),
                ops: vec![Update::Set(
                    accounts::attr::EMAIL,
                    serde_json::to_value(stored)?,
                )],
                cond: Cond::Eq(
                    accounts::attr::ACCOUNT_ID,
                    holder.account_id.as_str().into(),
                ),
            }
            .named(LOGIN_OP),
        );
    }
    match state.table.transact(ops).await {
        Ok(()) => Ok(OwnData {
            personal_data: after,
            statistics_consent: consent_at.is_some(),
        }),
        Err(StoreError::TxCancelled { failed: HOLDER_OP }) => Err(Error::Conflict(
            "Ihre Daten wurden gerade an anderer Stelle geändert. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal."
                .into(),
        )),
        Err(StoreError::TxCancelled { .. }) => Err(Error::Conflict(
            "Die Karte gehört nicht mehr zu Ihrem Konto. Bitte laden Sie die Seite neu.".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

fn held_by(account: &AccountId) -> Cond {
    Cond::Eq(attr::HOLDER, account.as_str().into())
}

/// Change the own data and give or withdraw the consent to the statistics.
// Operation ids name the cardholder's own routes apart from the merchant's `show`/`block`/
// `update`: the web client's types are keyed by them.
#[utoipa::path(patch, path = "/cards/me", tag = "cardholder", operation_id = "change_my_data",
    request_body = OwnDataChange,
    responses(
        (status = 200, description = "The data as now stored.", body = OwnData),
        (status = 409, response = Conflict),
    ))]
pub async fn update(
    State(state): State<AppState>,
    auth: TenantAuth,
    ApiJson(body): ApiJson<OwnDataChange>,
) -> Result<Json<OwnData>> {
    let wanted = body.validate(state.clock.today())?;
    let (partner, holder) = holder::me(&state, &auth).await?;
    Ok(Json(change(&state, &partner, &holder, &wanted).await?))
}
