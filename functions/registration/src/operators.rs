//! The first operator account, created from the command line (there is nobody yet to
//! invite it).

use shared::auth::{Role, Scope, hash_password};
use shared::clock::Clock;
use shared::domain::{AccountId, Email, Password};
use shared::model::accounts::{Login, LoginName};
use shared::model::stored_email::StoredEmail;
use shared::store::{Cond, StoreError, Table};
use shared::{Error, Result};

/// Creates a confirmed operator login; 409 if the address is taken.
pub async fn create_operator(
    table: &dyn Table,
    clock: &dyn Clock,
    email: &Email,
    name: &str,
    password: &Password,
) -> Result<AccountId> {
    let id = AccountId::generate();
    let login = Login {
        scope: Scope::Platform,
        login: LoginName::from_email(email),
        email: StoredEmail::login_name(email),
        account_id: id.clone(),
        role: Role::Operator,
        password_hash: Some(hash_password(password.expose())?),
        confirmed: true,
        name: name.to_string(),
        platforms: vec![],
        created_at: clock.now(),
        generation: 0,
    };
    match table.put(login.to_item()?, Cond::NotExists).await {
        Ok(()) => Ok(id),
        Err(StoreError::ConditionFailed) => Err(Error::Conflict(
            "Diese E-Mail-Adresse ist bereits vergeben.".into(),
        )),
        Err(e) => Err(e.into()),
    }
}
