//! One-time tokens (confirm e-mail, reset password, invitation, move the login to a new
//! address): 32 random bytes for the link, only their SHA-256 stored, with an expiry and
//! single use (docs/architecture.md §6).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::auth::{Role, Scope};
use crate::crypto::{random_token, sha256_hex};
use crate::domain::AccountId;
use crate::store::{Attr, Cond, Key, Named, StoreError, TTL, Table, TxOp, Update};

use super::accounts::{Login, LoginName, current, login_key};
use super::stored_email::StoredEmail;

const TOKEN_PREFIX: &str = "TOKEN#";
const TOKEN_SK: &str = "TOKEN";
const USED_AT: Attr = "used_at";
/// The name of the token's own operation in a transaction.
pub const TOKEN_OP: &str = "one_time_token";
/// Length of the random part of a token (32 bytes, base64url without padding); a link's
/// token is one letter naming its login kind ([`KindCode`]) and then this part.
const RANDOM_LEN: usize = 43;

/// The login kind a token is for, as one letter in front of its random part and as a
/// segment of its key (`TOKEN#<kind>#<sha256>`): a function's role may then be allowed to
/// store only its own kind's tokens (`dynamodb:LeadingKeys` `TOKEN#enduser#*`), so it cannot
/// plant a reset or invitation for a partner's or a till's login (docs/architecture.md §15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KindCode {
    Platform,
    Pos,
    Cardholder,
    Customer,
    EndUser,
}

impl KindCode {
    const ALL: [KindCode; 5] = [
        KindCode::Platform,
        KindCode::Pos,
        KindCode::Cardholder,
        KindCode::Customer,
        KindCode::EndUser,
    ];

    fn of(scope: &Scope) -> Self {
        match scope {
            Scope::Platform => KindCode::Platform,
            Scope::Pos(_) => KindCode::Pos,
            Scope::Cardholder(_) => KindCode::Cardholder,
            Scope::Customer(_) => KindCode::Customer,
            Scope::EndUser(_) => KindCode::EndUser,
        }
    }

    /// The letter in the link (base64url has no letter it could be confused with: the
    /// random part's length tells them apart).
    fn letter(self) -> char {
        match self {
            KindCode::Platform => 'p',
            KindCode::Pos => 'k',
            KindCode::Cardholder => 'c',
            KindCode::Customer => 'u',
            KindCode::EndUser => 'e',
        }
    }

    /// The key segment: the scope's kind as the API names it.
    fn segment(self) -> &'static str {
        match self {
            KindCode::Platform => "platform",
            KindCode::Pos => "pos",
            KindCode::Cardholder => "cardholder",
            KindCode::Customer => "customer",
            KindCode::EndUser => "enduser",
        }
    }

    fn from_letter(letter: char) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.letter() == letter)
    }
}

/// The key prefix of the tokens of one login kind (for IAM conditions and their tests):
/// `TOKEN#enduser#`.
pub fn key_prefix(scope_kind: &str) -> String {
    format!("{TOKEN_PREFIX}{scope_kind}#")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Confirm,
    Reset,
    Invite,
    /// Moves the login to the address the link was mailed to ([`OneTimeToken::new_email`]).
    #[serde(rename = "email_change")]
    EmailChange,
}

impl TokenKind {
    pub fn lifetime_secs(self) -> i64 {
        match self {
            TokenKind::Confirm => 48 * 3600,
            TokenKind::Reset => 3600,
            TokenKind::Invite => 7 * 24 * 3600,
            TokenKind::EmailChange => 24 * 3600,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OneTimeToken {
    pub kind: TokenKind,
    /// The login the token acts on.
    pub scope: Scope,
    pub login: LoginName,
    pub email: StoredEmail,
    pub account_id: AccountId,
    /// The login record's generation when the token was issued
    /// ([`super::accounts::attr::GENERATION`]).
    #[serde(default)]
    pub generation: i64,
    /// The account's role (tokens written before do not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    pub expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_at: Option<Timestamp>,
    /// For [`TokenKind::EmailChange`]: the address the login moves to, sealed (it is no
    /// login name yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_email: Option<StoredEmail>,
}

impl OneTimeToken {
    pub fn login_key(&self) -> Key {
        login_key(&self.scope, &self.login)
    }

    /// A write on the token's login record, valid only while the record is still the
    /// account the token was issued for, at its generation; named [`ACCOUNT_OP`] so that
    /// [`redeem`] answers a failure as a dead link.
    pub fn account_update(&self, ops: Vec<Update>) -> Named {
        TxOp::Update {
            key: self.login_key(),
            ops,
            cond: current(&self.account_id, self.generation),
        }
        .named(ACCOUNT_OP)
    }
}

impl OneTimeToken {
    /// Deletes the token's login record (its login name moves elsewhere), valid only while
    /// the record is still the account the token was issued for, at its generation; named
    /// [`ACCOUNT_OP`] like [`OneTimeToken::account_update`].
    pub fn account_delete(&self) -> Named {
        TxOp::Delete {
            key: self.login_key(),
            cond: current(&self.account_id, self.generation),
        }
        .named(ACCOUNT_OP)
    }
}

/// The name of the write on the token's login record ([`OneTimeToken::account_update`]).
pub const ACCOUNT_OP: &str = "account_of_token";

fn key(code: KindCode, raw: &str) -> Key {
    Key::new(
        format!(
            "{}{}",
            key_prefix(code.segment()),
            sha256_hex(raw.as_bytes())
        ),
        TOKEN_SK,
    )
}

/// The key of a link's token and the kind it names; `None` for anything not shaped like
/// a token. Links mailed before tokens named their kind (the random part alone) are still
/// found under their old key, `TOKEN#<sha256>`, until they expire.
fn key_of_link(raw: &str) -> Option<(Key, Option<KindCode>)> {
    if raw.len() == RANDOM_LEN {
        let legacy = Key::new(
            format!("{TOKEN_PREFIX}{}", sha256_hex(raw.as_bytes())),
            TOKEN_SK,
        );
        return Some((legacy, None));
    }
    let mut chars = raw.chars();
    let code = KindCode::from_letter(chars.next()?)?;
    (chars.as_str().len() == RANDOM_LEN).then(|| (key(code, raw), Some(code)))
}

/// What a new token is for: a kind and the login record as it is now.
#[derive(Debug, Clone)]
pub struct TokenFor<'a> {
    pub kind: TokenKind,
    pub login: &'a Login,
    /// See [`OneTimeToken::new_email`].
    pub new_email: Option<StoredEmail>,
}

impl<'a> TokenFor<'a> {
    pub fn of(kind: TokenKind, login: &'a Login) -> Self {
        Self {
            kind,
            login,
            new_email: None,
        }
    }

    /// A token that moves the login to `email` (sealed by the caller).
    pub fn moving_to(mut self, email: StoredEmail) -> Self {
        self.new_email = Some(email);
        self
    }
}

/// A new token: the raw value for the e-mail link and the put that stores its hash.
pub fn issue(spec: TokenFor<'_>, now: Timestamp) -> Result<(String, Named), Error> {
    let login = spec.login;
    let code = KindCode::of(&login.scope);
    let raw = format!("{}{}", code.letter(), random_token());
    let token = OneTimeToken {
        kind: spec.kind,
        scope: login.scope.clone(),
        login: login.login.clone(),
        email: login.email.clone(),
        account_id: login.account_id.clone(),
        role: Some(login.role),
        generation: login.generation,
        expires_at: now.as_second() + spec.kind.lifetime_secs(),
        used_at: None,
        new_email: spec.new_email,
    };
    let mut item = super::to_item(&key(code, &raw), &token)?;
    // DynamoDB's TTL removes the record a day after it stops being useful.
    item.insert(TTL.into(), (token.expires_at + 86_400).into());
    Ok((
        raw,
        TxOp::Put {
            item,
            cond: Cond::NotExists,
        }
        .named(TOKEN_OP),
    ))
}

fn invalid() -> Error {
    Error::field("token", "ist ungültig")
}

fn used() -> Error {
    Error::Gone("Der Link wurde bereits verwendet.".into())
}

/// A link's token that may still be used, and the key it is stored under.
#[derive(Debug, Clone)]
pub struct Usable {
    pub key: Key,
    pub token: OneTimeToken,
}

impl Usable {
    /// The operation that marks the token used, for the transaction of what it does; fails
    /// as [`TOKEN_OP`] when it was used meanwhile.
    pub fn use_op(&self, now: Timestamp) -> Result<Named, Error> {
        Ok(TxOp::Update {
            key: self.key.clone(),
            ops: vec![Update::Set(USED_AT, serde_json::to_value(now)?)],
            cond: Cond::Absent(USED_AT),
        }
        .named(TOKEN_OP))
    }
}

/// The token of a link, if it is of `kind` and neither used nor expired. Unknown or foreign
/// tokens are 400, expired or used ones 410. Nothing is written: the caller's transaction
/// marks it used ([`Usable::use_op`]) and answers a failed step with [`refusal`].
pub async fn usable(
    table: &dyn Table,
    raw: &str,
    kind: TokenKind,
    now: Timestamp,
) -> Result<Usable, Error> {
    let (key, code) = key_of_link(raw).ok_or_else(invalid)?;
    let item = table.get(&key).await?.ok_or_else(invalid)?;
    let token: OneTimeToken = super::from_item(item)?;
    // A token acts only on a login of the kind its key names.
    if token.kind != kind || code.is_some_and(|code| code != KindCode::of(&token.scope)) {
        return Err(invalid());
    }
    if token.used_at.is_some() {
        return Err(used());
    }
    if token.expires_at < now.as_second() {
        return Err(Error::Gone(
            "Der Link ist abgelaufen. Bitte fordern Sie einen neuen an.".into(),
        ));
    }
    Ok(Usable { key, token })
}

/// What a link answers when the transaction that uses it failed at `step`: used meanwhile,
/// or its account changed (the password set, the account disabled, deleted, created anew
/// or moved to another address). `None` for the caller's own steps.
pub fn refusal(step: &str) -> Option<Error> {
    match step {
        TOKEN_OP => Some(used()),
        ACCOUNT_OP => Some(dead()),
        _ => None,
    }
}

/// The answer to a link whose account is no longer the one it was sent for.
pub fn dead() -> Error {
    Error::Gone("Der Link ist nicht mehr gültig. Bitte fordern Sie einen neuen an.".into())
}

/// Checks the token and, in one transaction with the caller's writes, marks it used.
/// Unknown or foreign tokens are 400, expired or used ones 410.
pub async fn redeem(
    table: &dyn Table,
    raw: &str,
    kind: TokenKind,
    now: Timestamp,
    writes: impl FnOnce(&OneTimeToken) -> Result<Vec<Named>, Error>,
) -> Result<OneTimeToken, Error> {
    let found = usable(table, raw, kind, now).await?;
    let mut ops = vec![found.use_op(now)?];
    ops.extend(writes(&found.token)?);
    match table.transact(ops).await {
        Ok(()) => Ok(found.token),
        Err(StoreError::TxCancelled { failed }) => {
            Err(refusal(failed).unwrap_or_else(|| StoreError::TxCancelled { failed }.into()))
        }
        Err(e) => Err(e.into()),
    }
}
