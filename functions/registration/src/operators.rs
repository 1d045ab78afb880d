//! The first operator account, created from the command line (there is nobody yet to
//! invite it).

use shared::auth::{Role, hash_password};
use shared::domain::{Email, Password, new_id};
use shared::store::{Cond, StoreError, Table};
use shared::{Error, Result};

use crate::records::{Login, login_key, now_rfc3339};

/// Creates a confirmed operator login; 409 if the address is taken.
pub async fn create_operator(
    table: &dyn Table,
    email: &Email,
    name: &str,
    password: &Password,
) -> Result<String> {
    let id = new_id();
    let login = Login {
        email: email.clone(),
        account_id: id.clone(),
        role: Role::Operator,
        password_hash: Some(hash_password(password.expose())?),
        confirmed: true,
        name: name.to_string(),
        platforms: vec![],
        created_at: now_rfc3339(),
    };
    let item = shared::store::item_with_key(&login_key(email), &login)?;
    match table.put(item, Cond::NotExists).await {
        Ok(()) => Ok(id),
        Err(StoreError::ConditionFailed) => Err(Error::Conflict(
            "Diese E-Mail-Adresse ist bereits vergeben.".into(),
        )),
        Err(e) => Err(e.into()),
    }
}
