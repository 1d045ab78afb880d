//! A supplier's customers: create (with the invitation mail), list with their state, edit,
//! resend the invitation, disable and enable, delete.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shared::auth::{Ended, PartnerAuth, Role, Scope, reinstate_op, revoke_op};
use shared::domain::RecordId;
use shared::domain::{AccountId, Email, PartnerId};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, ApiQuery, Validator};
use shared::model::accounts::{self, Invitation, LoginName, login_key};
use shared::model::contracts::file_links::{FileLinksContract, TierError};
use shared::model::from_item;
use shared::openapi::{Conflict, NotFound, Unprocessable};
use shared::store::{Cond, Index, Query, TxOp, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::account::{load_contract, load_partner, login_page, lost_contract_race, replace_op};
use crate::records::{Customer, attr, customer_key, customers, path_id};
use crate::secrets;

/// How often a change that lost to a concurrent change of the customer count is tried.
const ATTEMPTS: usize = 5;

fn unknown() -> Error {
    Error::NotFound("Kunde nicht gefunden.".into())
}

/// The customer of `partner` with this id, or 404 (also for another supplier's customer).
pub async fn load(state: &AppState, partner: &PartnerId, id: &str) -> Result<Customer> {
    let key = customer_key(partner, &path_id(id, "Kunde")?);
    let item = state.table.get(&key).await?.ok_or_else(unknown)?;
    from_item(item)
}

/// Where a customer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerState {
    /// Has not set a password yet.
    Invited,
    Active,
    /// Cannot log in; live tokens are refused.
    Disabled,
}

/// A customer as the supplier sees it (never the folder password).
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    pub id: AccountId,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub username: Option<String>,
    pub folder_url: String,
    pub has_folder_password: bool,
    pub state: CustomerState,
    pub last_login_at: Option<Timestamp>,
}

fn scope_of(partner: &PartnerId) -> Scope {
    Scope::Customer(partner.clone())
}

/// The customer with its login's state (one read of the login record).
async fn view(state: &AppState, partner: &PartnerId, c: Customer) -> Result<CustomerView> {
    let found = accounts::find(
        state.table.as_ref(),
        &scope_of(partner),
        &LoginName::from_email(&c.email),
    )
    .await?;
    let (confirmed, last_login_at) = found
        .map(|f| (f.login.confirmed, f.state.last_login_at))
        .unwrap_or((false, None));
    let customer_state = if c.disabled {
        CustomerState::Disabled
    } else if confirmed {
        CustomerState::Active
    } else {
        CustomerState::Invited
    };
    Ok(CustomerView {
        id: c.account_id,
        first_name: c.first_name,
        last_name: c.last_name,
        email: c.email.to_string(),
        username: c.username.map(String::from),
        folder_url: c.folder_url,
        has_folder_password: c.folder_password_sealed.is_some(),
        state: customer_state,
        last_login_at,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "first_name": "Karl", "last_name": "Kunde", "email": "karl@kunde.example",
    "username": "karl.kunde", "folder_url": "https://cloud.example.de/s/Xy7aB2",
    "folder_password": "ordner-geheim-1"
}))]
pub struct NewCustomer {
    #[schema(value_type = shared::openapi::Text<100>, inline)]
    pub first_name: String,
    #[schema(value_type = shared::openapi::Text<100>, inline)]
    pub last_name: String,
    /// Where the invitation goes; also the customer's login.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// A second login: 3-64 characters a-z, 0-9, `.`, `_`, `-`.
    #[schema(pattern = "^[a-z0-9._-]{3,64}$")]
    pub username: Option<String>,
    /// The customer's folder at the file-sharing service (https). The pattern states what
    /// `secrets::folder_url` accepts, narrowed to plain host names (a test holds them together).
    #[schema(
        pattern = r"^https://[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(/[!-~]*)?$",
        max_length = 2000
    )]
    pub folder_url: String,
    /// The folder's password, if it has one; stored encrypted.
    pub folder_password: Option<String>,
}

fn username(v: &mut Validator, raw: Option<&str>) -> Option<LoginName> {
    let raw = raw.map(str::trim).filter(|u| !u.is_empty())?;
    if raw.contains('@') {
        v.require(
            "username",
            false,
            "darf kein @ enthalten (die E-Mail-Adresse ist schon Anmeldename)",
        );
        return None;
    }
    v.check("username", LoginName::parse(raw))
}

/// Add a customer: it gets a German invitation mail with a 7-day link to set its password.
///
/// A customer beyond the tier limit of 99 needs the unlimited tier the operator grants (422).
#[utoipa::path(post, path = "/file-links/customers", tag = "file-links", request_body = NewCustomer,
    responses(
        (status = 201, description = "Created and invited.", body = CustomerView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiJson(body): ApiJson<NewCustomer>,
) -> Result<(StatusCode, Json<CustomerView>)> {
    let mut v = Validator::new();
    let first_name = v.text("first_name", &body.first_name, 100);
    let last_name = v.text("last_name", &body.last_name, 100);
    let email = v.check("email", Email::parse(&body.email));
    let username = username(&mut v, body.username.as_deref());
    let folder_url = v.check("folder_url", secrets::folder_url(&body.folder_url));
    let password = match body.folder_password.as_deref() {
        None | Some("") => None,
        Some(p) => v.check("folder_password", secrets::folder_password(p)),
    };
    v.finish()?;
    let (Some(first_name), Some(last_name), Some(email), Some(folder_url)) =
        (first_name, last_name, email, folder_url)
    else {
        return Err(Error::field("email", "fehlt"));
    };
    let partner = load_partner(&state, &auth.partner_id).await?;
    let slug = load_contract(&state, &auth.partner_id).await?.slug;
    let account_id = AccountId::generate();
    let key = state.data_key()?;
    let customer = Customer {
        account_id: account_id.clone(),
        first_name,
        last_name,
        email: email.clone(),
        username: username.clone(),
        folder_url,
        folder_password_sealed: password.map(|p| key.seal(&p)),
        disabled: false,
        created_at: state.clock.now(),
    };
    let invitation = Invitation {
        scope: scope_of(&auth.partner_id),
        login: LoginName::from_email(&email),
        email,
        name: customer.name(),
        role: Role::Customer,
        inviter: partner.company,
        // From the mail's link on to the supplier's page, where the customer logs in.
        then: Some(login_page(&slug)),
    };
    for _ in 0..ATTEMPTS {
        let read = load_contract(&state, &auth.partner_id).await?;
        let next = grown(&read, read.customers.saturating_add(1), state.clock.today())?;
        let mut extra = vec![
            TxOp::Put {
                item: shared::model::to_item(
                    &customer_key(&auth.partner_id, account_id.as_str()),
                    &customer,
                )?,
                cond: Cond::NotExists,
            }
            .named("customer"),
            replace_op(&read, &next)?,
        ];
        if let Some(alias) = &username {
            extra.push(
                invitation
                    .login_record(&account_id, state.clock.now(), state.data_key()?)
                    .alias_put(alias)?,
            );
        }
        let created =
            accounts::create_invited_as(&state, account_id.clone(), invitation.clone(), extra)
                .await;
        match created {
            Ok(_) => {
                let view = view(&state, &auth.partner_id, customer).await?;
                return Ok((StatusCode::CREATED, Json(view)));
            }
            // Another customer was added or removed meanwhile: count again.
            Err(Error::Conflict(_)) if contract_changed(&state, &read).await? => continue,
            Err(e) => return Err(e),
        }
    }
    Err(busy())
}

fn busy() -> Error {
    Error::Conflict(
        "Das Kundenkonto wird gerade geändert. Bitte versuchen Sie es noch einmal.".into(),
    )
}

/// The contract with one customer more, or 422 when that needs the unlimited tier.
fn grown(
    read: &FileLinksContract,
    customers: u32,
    today: jiff::civil::Date,
) -> Result<FileLinksContract> {
    if read.is_cancelled() {
        return Err(Error::Unprocessable(
            "Das digitale Kundenkonto ist gekündigt; neue Kunden sind nicht mehr möglich.".into(),
        ));
    }
    read.with_customers(customers, today)
        .map_err(|TierError::UnlimitedNotGranted| {
            Error::Unprocessable(format!(
                "Ihr Tarif umfasst bis zu {} Kunden. Ab dem 100. Kunden ist die Unlimited-Version nötig; bitte wenden Sie sich an den Betreiber.",
                read.customers
            ))
        })
}

async fn contract_changed(state: &AppState, read: &FileLinksContract) -> Result<bool> {
    let now = load_contract(state, &read.partner_id).await?;
    Ok(now.customers != read.customers || now.cancelled_on != read.cancelled_on)
}

/// One page of customers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerPage {
    pub customers: Vec<CustomerView>,
    /// Present when more customers may follow (with `q`, a page may hold fewer than
    /// `limit`, even none, and still be followed by more).
    pub next_cursor: Option<String>,
}

/// Customers and reveals come 50 to a page unless asked otherwise.
pub const PAGE_SIZE: u32 = 50;
/// The longest search text.
const MAX_SEARCH_LEN: usize = 100;

/// A page of customers, optionally searched.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerSearch {
    /// Part of the first or last name, the e-mail address or the username, in any case.
    pub q: Option<String>,
    /// `next_cursor` of the previous page (of the same search).
    pub cursor: Option<String>,
    /// Entries per page, 1–100; 50 unless asked otherwise.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// The search text in lower case, or none for no search; 400 naming `q` when too long.
fn search_text(raw: Option<&str>) -> Result<Option<String>> {
    let text = raw.map(str::trim).unwrap_or_default();
    if text.chars().count() > MAX_SEARCH_LEN {
        return Err(Error::field(
            "q",
            format!("darf höchstens {MAX_SEARCH_LEN} Zeichen lang sein"),
        ));
    }
    Ok((!text.is_empty()).then(|| text.to_lowercase()))
}

/// Whether a customer's names, e-mail address or username contain `text` (lower case).
pub fn matches(c: &Customer, text: &str) -> bool {
    let name = c.name().to_lowercase();
    name.contains(text)
        || c.email.as_str().to_lowercase().contains(text)
        || c.username
            .as_ref()
            .is_some_and(|u| u.as_str().to_lowercase().contains(text))
}

/// One page of the supplier's customers (all, or those a search finds), and the cursor
/// that follows (`shared::model::search`).
async fn customers_page(
    state: &AppState,
    partner: &PartnerId,
    search: Option<&str>,
    limit: u32,
    cursor: Option<String>,
) -> Result<(Vec<Customer>, Option<String>)> {
    let query = Query::partition(Index::Primary, shared::model::partners::partner_pk(partner))
        .sk(customers());
    let keep = search.map(|text| move |c: &Customer| matches(c, text));
    let keep = keep
        .as_ref()
        .map(|k| k as &(dyn Fn(&Customer) -> bool + Sync));
    shared::model::search::matching_page(state.table.as_ref(), query, keep, limit, cursor).await
}

/// The customers with their state (invited, active, disabled) and last login, oldest first;
/// `q` finds them by part of their name, e-mail address or username.
#[utoipa::path(get, path = "/file-links/customers", tag = "file-links", params(CustomerSearch),
    responses((status = 200, description = "One page.", body = CustomerPage)))]
pub async fn list(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiQuery(params): ApiQuery<CustomerSearch>,
) -> Result<Json<CustomerPage>> {
    let limit = shared::http::page_limit(params.limit, PAGE_SIZE, 100)?;
    let search = search_text(params.q.as_deref())?;
    let (found, next_cursor) = customers_page(
        &state,
        &auth.partner_id,
        search.as_deref(),
        limit,
        params.cursor,
    )
    .await?;
    // The login records are read side by side: one round trip for the page, not one each.
    let mut reads = tokio::task::JoinSet::new();
    for (i, customer) in found.into_iter().enumerate() {
        let state = state.clone();
        let partner = auth.partner_id.clone();
        reads.spawn(async move { (i, view(&state, &partner, customer).await) });
    }
    let mut views = Vec::new();
    while let Some(done) = reads.join_next().await {
        let (i, view) = done.map_err(Error::internal)?;
        views.push((i, view?));
    }
    views.sort_by_key(|(i, _)| *i);
    Ok(Json(CustomerPage {
        customers: views.into_iter().map(|(_, v)| v).collect(),
        next_cursor,
    }))
}

/// One customer.
#[utoipa::path(get, path = "/file-links/customers/{customer_id}", tag = "file-links",
    params(("customer_id" = RecordId, Path, description = "One of the supplier's customers.")),
    responses((status = 200, description = "The customer.", body = CustomerView)))]
pub async fn get_one(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(id): ApiPath<RecordId>,
) -> Result<Json<CustomerView>> {
    let id = id.into_string();
    let customer = load(&state, &auth.partner_id, &id).await?;
    Ok(Json(view(&state, &auth.partner_id, customer).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"folder_url": "https://cloud.example.de/s/Neu42", "folder_password": ""}))]
pub struct CustomerPatch {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    #[schema(
        pattern = r"^https://[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(/[!-~]*)?$",
        max_length = 2000
    )]
    pub folder_url: Option<String>,
    /// A new folder password; an empty string removes it.
    pub folder_password: Option<String>,
}

/// Change a customer's name, folder link or folder password (e-mail and username stay).
#[utoipa::path(patch, path = "/file-links/customers/{customer_id}", tag = "file-links",
    params(("customer_id" = RecordId, Path, description = "One of the supplier's customers.")),
    request_body = CustomerPatch,
    responses((status = 200, description = "Changed.", body = CustomerView)))]
pub async fn update(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(id): ApiPath<RecordId>,
    ApiJson(body): ApiJson<CustomerPatch>,
) -> Result<Json<CustomerView>> {
    let id = id.into_string();
    let mut v = Validator::new();
    let first_name = body
        .first_name
        .as_deref()
        .and_then(|n| v.text("first_name", n, 100));
    let last_name = body
        .last_name
        .as_deref()
        .and_then(|n| v.text("last_name", n, 100));
    let folder_url = body
        .folder_url
        .as_deref()
        .and_then(|u| v.check("folder_url", secrets::folder_url(u)));
    let password = match body.folder_password.as_deref() {
        None => None,
        Some("") => Some(None),
        Some(p) => v
            .check("folder_password", secrets::folder_password(p))
            .map(Some),
    };
    v.require(
        "first_name",
        body.first_name.is_some()
            || body.last_name.is_some()
            || body.folder_url.is_some()
            || body.folder_password.is_some(),
        "mindestens ein Feld ist anzugeben",
    );
    v.finish()?;
    let mut customer = load(&state, &auth.partner_id, &id).await?;
    if let Some(n) = first_name {
        customer.first_name = n;
    }
    if let Some(n) = last_name {
        customer.last_name = n;
    }
    if let Some(u) = folder_url {
        customer.folder_url = u;
    }
    if let Some(p) = password {
        let key = state.data_key()?;
        customer.folder_password_sealed = p.map(|p| key.seal(&p));
    }
    let login = login_key(
        &scope_of(&auth.partner_id),
        &LoginName::from_email(&customer.email),
    );
    state
        .table
        .transact(vec![
            TxOp::Put {
                item: shared::model::to_item(
                    &customer_key(&auth.partner_id, customer.account_id.as_str()),
                    &customer,
                )?,
                cond: Cond::Exists,
            }
            .named("customer"),
            // The name the mails greet the customer with.
            TxOp::Update {
                key: login,
                ops: vec![Update::Set(accounts::attr::NAME, customer.name().into())],
                cond: Cond::Exists,
            }
            .named("login"),
        ])
        .await?;
    Ok(Json(view(&state, &auth.partner_id, customer).await?))
}

/// A German message.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = FileLinksMessage)]
pub struct Message {
    pub message: String,
}

/// Send the invitation again (a new 7-day link); 409 once the customer has set a password.
#[utoipa::path(post, path = "/file-links/customers/{customer_id}/invitation", tag = "file-links",
    params(("customer_id" = RecordId, Path, description = "One of the supplier's customers.")),
    responses(
        (status = 202, description = "The invitation is on its way.", body = Message),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ))]
pub async fn resend_invitation(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(id): ApiPath<RecordId>,
) -> Result<(StatusCode, Json<Message>)> {
    let id = id.into_string();
    let customer = load(&state, &auth.partner_id, &id).await?;
    if customer.disabled {
        return Err(Error::Unprocessable(
            "Der Kunde ist gesperrt; bitte entsperren Sie ihn zuerst.".into(),
        ));
    }
    let found = accounts::find(
        state.table.as_ref(),
        &scope_of(&auth.partner_id),
        &LoginName::from_email(&customer.email),
    )
    .await?
    .ok_or_else(unknown)?;
    let partner = load_partner(&state, &auth.partner_id).await?;
    let slug = load_contract(&state, &auth.partner_id).await?.slug;
    accounts::reinvite(
        &state,
        &found.login,
        &partner.company,
        Some(&login_page(&slug)),
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Message {
            message: format!("Die Einladung wurde erneut an {} gesendet.", customer.email),
        }),
    ))
}

async fn set_disabled(
    state: &AppState,
    auth: &PartnerAuth,
    id: &str,
    disabled: bool,
) -> Result<Json<CustomerView>> {
    let mut customer = load(state, &auth.partner_id, id).await?;
    let login = login_key(
        &scope_of(&auth.partner_id),
        &LoginName::from_email(&customer.email),
    );
    // All at once: the login refuses the password, every live token is refused, and a
    // disabled account's one-time links are dead (its generation counts up).
    let mut login_ops = vec![Update::Set(accounts::attr::DISABLED, disabled.into())];
    let tokens = if disabled {
        login_ops.push(Update::Add(accounts::attr::GENERATION, 1));
        revoke_op(&customer.account_id, Ended::Disabled, state.clock.epoch())
    } else {
        reinstate_op(&customer.account_id)
    };
    state
        .table
        .transact(vec![
            TxOp::Update {
                key: customer_key(&auth.partner_id, customer.account_id.as_str()),
                ops: vec![Update::Set(attr::DISABLED, disabled.into())],
                cond: Cond::Exists,
            }
            .named("customer"),
            TxOp::Update {
                key: login,
                ops: login_ops,
                cond: Cond::Exists,
            }
            .named("login"),
            tokens,
        ])
        .await?;
    customer.disabled = disabled;
    Ok(Json(view(state, &auth.partner_id, customer).await?))
}

/// Disable a customer: its login is refused at once, and so is every token it holds.
#[utoipa::path(post, path = "/file-links/customers/{customer_id}/disable", tag = "file-links",
    params(("customer_id" = RecordId, Path, description = "One of the supplier's customers.")),
    responses((status = 200, description = "Disabled.", body = CustomerView)))]
pub async fn disable(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(id): ApiPath<RecordId>,
) -> Result<Json<CustomerView>> {
    let id = id.into_string();
    set_disabled(&state, &auth, &id, true).await
}

/// Enable a disabled customer again.
#[utoipa::path(post, path = "/file-links/customers/{customer_id}/enable", tag = "file-links",
    params(("customer_id" = RecordId, Path, description = "One of the supplier's customers.")),
    responses((status = 200, description = "Enabled.", body = CustomerView)))]
pub async fn enable(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(id): ApiPath<RecordId>,
) -> Result<Json<CustomerView>> {
    let id = id.into_string();
    set_disabled(&state, &auth, &id, false).await
}

/// Delete a customer and its login; the count (and the tier) goes down with it.
#[utoipa::path(delete, path = "/file-links/customers/{customer_id}", tag = "file-links",
    params(("customer_id" = RecordId, Path, description = "One of the supplier's customers.")),
    responses((status = 204, description = "Deleted.")))]
pub async fn delete(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(id): ApiPath<RecordId>,
) -> Result<StatusCode> {
    let id = id.into_string();
    let customer = load(&state, &auth.partner_id, &id).await?;
    let scope = scope_of(&auth.partner_id);
    for _ in 0..ATTEMPTS {
        let read = load_contract(&state, &auth.partner_id).await?;
        let next = read
            .with_customers(read.customers.saturating_sub(1), state.clock.today())
            .map_err(|_| Error::internal(std::io::Error::other("a smaller tier has a price")))?;
        let mut ops = vec![
            TxOp::Delete {
                key: customer_key(&auth.partner_id, customer.account_id.as_str()),
                cond: Cond::Exists,
            }
            .named("customer"),
            TxOp::Delete {
                key: login_key(&scope, &LoginName::from_email(&customer.email)),
                cond: Cond::Always,
            }
            .named("login"),
            replace_op(&read, &next)?,
            revoke_op(&customer.account_id, Ended::Deleted, state.clock.epoch()),
        ];
        if let Some(alias) = &customer.username {
            ops.push(
                TxOp::Delete {
                    key: login_key(&scope, alias),
                    cond: Cond::Always,
                }
                .named("alias"),
            );
        }
        match state.table.transact(ops).await {
            Ok(()) => return Ok(StatusCode::NO_CONTENT),
            Err(e) if lost_contract_race(&e) => continue,
            Err(shared::store::StoreError::TxCancelled { failed: "customer" }) => {
                return Err(unknown());
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(busy())
}
