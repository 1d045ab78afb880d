//! End users of a bank platform: sign-up (an invited account; registration serves the
//! password and login), joining a program with one personal link, and their links.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::auth::{Role, Scope, TenantAuth};
use shared::domain::{AccountId, Email, PlatformId, ProgramId, short_code};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, Validator};
use shared::model::accounts::{Invitation, LoginName, create_invited};
use shared::model::platforms::{Platform, platform_key};
use shared::model::referrals::{CODE_LEN, Link, link_clicks, sum_clicks};
use shared::model::{from_item, to_item};
use shared::store::{Cond, StoreError, TxOp};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::programs;
use crate::records::{
    MEMBER_SK_PREFIX, Member, Profile, ProgramStatus, enduser_partition, member_key, person_hash,
    profile_key,
};
use crate::step;
use crate::{domains, eligibility};

/// The version of the end users' terms of participation a sign-up accepts; shown with the
/// day of acceptance in `GET /me`.
pub const TERMS_VERSION: &str = "2026-12-01";

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "erika@example.de", "name": "Erika Mustermann", "accept_terms": true}))]
pub struct SignupInput {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(value_type = shared::openapi::Text<120>, inline)]
    pub name: String,
    // The terms of participation in their current version ([`TERMS_VERSION`]) are accepted.
    #[serde(default)]
    #[schema(value_type = shared::openapi::Consent, inline)]
    pub accept_terms: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub message: String,
}

/// Sign up as a customer of a bank platform; the invitation mail sets the password.
#[utoipa::path(post, path = "/platforms/{platform_id}/endusers", tag = "end users",
    summary = "Als Kundin oder Kunde registrieren",
    params(("platform_id" = PlatformId, Path, description = "The bank platform.")),
    request_body = SignupInput,
    responses(
        (status = 202, description = "An invitation is on its way (also when the address is known: no probing).", body = Accepted),
        (status = 404, response = shared::openapi::NotFound),
        (status = 422, response = shared::openapi::Unprocessable),
    ))]
pub async fn signup(
    State(state): State<AppState>,
    ApiPath(platform_id): ApiPath<PlatformId>,
    ApiJson(body): ApiJson<SignupInput>,
) -> Result<(StatusCode, Json<Accepted>)> {
    let mut v = Validator::new();
    let email = v.check("email", Email::parse(&body.email));
    let name = v.text("name", &body.name, 120);
    v.require(
        "accept_terms",
        body.accept_terms,
        "Die Teilnahmebedingungen müssen akzeptiert werden",
    );
    v.finish()?;
    let (Some(email), Some(name)) = (email, name) else {
        return Err(Error::field("email", "fehlt"));
    };
    let platform: Platform = match state.table.get(&platform_key(&platform_id)).await? {
        Some(item) => from_item(item)?,
        None => return Err(Error::NotFound("Diese Plattform gibt es nicht.".into())),
    };
    // The profile keeps only a hash of the address, to refuse self-referrals.
    let profile = Profile {
        email_hash: person_hash(email.as_str()),
        terms_version: Some(TERMS_VERSION.into()),
        terms_accepted_at: Some(state.clock.now()),
    };
    let invitation = Invitation {
        scope: Scope::EndUser(platform_id.clone()),
        login: LoginName::from_email(&email),
        email: email.clone(),
        name,
        role: Role::EndUser,
        inviter: platform.name,
        then: None,
    };
    // A known address answers at the same moment as a new one (shared::steady).
    let clock = state.clock.clone();
    shared::steady::in_steady_time(clock.as_ref(), create_end_user(state, invitation, profile))
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            message: "Vielen Dank! Bitte prüfen Sie Ihr Postfach: Mit dem Link in der E-Mail legen Sie Ihr Passwort fest.".into(),
        }),
    ))
}

/// The account and its profile; a known address gets nothing (none can be probed).
async fn create_end_user(state: AppState, invitation: Invitation, profile: Profile) -> Result<()> {
    // The account id is only known inside; the profile is written with it below.
    match create_invited(&state, invitation, vec![]).await {
        Ok(account) => {
            state
                .table
                .put(to_item(&profile_key(&account), &profile)?, Cond::Always)
                .await?;
            Ok(())
        }
        Err(Error::Conflict(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The end user behind a token, with the platform of the scope.
pub struct EndUser {
    pub account: AccountId,
    pub platform: PlatformId,
}

pub fn end_user(auth: &TenantAuth) -> Result<EndUser> {
    auth.require(Role::EndUser)?;
    match &auth.scope {
        Scope::EndUser(platform) => Ok(EndUser {
            account: auth.account_id.clone(),
            platform: platform.clone(),
        }),
        _ => Err(Error::Forbidden(
            "Diese Funktion steht Ihrer Rolle nicht zur Verfügung.".into(),
        )),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"program_id": "01938a4e-1111-7000-8000-000000000001"}))]
pub struct JoinInput {
    pub program_id: ProgramId,
}

/// One of the end user's links, with its clicks and rewards.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyLink {
    pub program_id: ProgramId,
    pub program_name: String,
    pub code: String,
    /// The link to share.
    pub url: String,
    pub active: bool,
    pub clicks: i64,
    pub unique_clicks: i64,
    pub rewards: i64,
    pub pending_cents: i64,
    pub confirmed_cents: i64,
    pub pending_points: i64,
    pub confirmed_points: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyLinks {
    pub links: Vec<MyLink>,
}

async fn my_link(state: &AppState, member: Member) -> Result<MyLink> {
    let program = programs::load(state, &member.program_id).await?;
    let counters = state
        .table
        .query_all(link_clicks(
            &member.code,
            Date::constant(2000, 1, 1),
            Date::constant(9999, 12, 31),
        ))
        .await?;
    let clicks = sum_clicks(&counters);
    Ok(MyLink {
        url: format!(
            "{}/r/{}",
            state.public_base_url.trim_end_matches('/'),
            member.code
        ),
        program_id: member.program_id,
        program_name: program.name,
        code: member.code,
        active: program.status == ProgramStatus::Active,
        clicks: clicks.clicks,
        unique_clicks: clicks.unique,
        rewards: member.reward_count,
        pending_cents: member.pending_cents,
        confirmed_cents: member.confirmed_cents,
        pending_points: member.pending_points,
        confirmed_points: member.confirmed_points,
    })
}

/// Join a program: the end user's one personal link to it (joining again returns it).
#[utoipa::path(post, path = "/me/referrals", tag = "end users",
    summary = "Am Empfehlungsprogramm teilnehmen",
    request_body = JoinInput,
    responses(
        (status = 201, description = "The new personal link.", body = MyLink),
        (status = 200, description = "The link the end user already has.", body = MyLink),
        (status = 404, response = shared::openapi::NotFound),
        (status = 422, response = shared::openapi::Unprocessable),
    ))]
pub async fn join(
    State(state): State<AppState>,
    auth: TenantAuth,
    ApiJson(body): ApiJson<JoinInput>,
) -> Result<(StatusCode, Json<MyLink>)> {
    let user = end_user(&auth)?;
    let program = programs::load(&state, &body.program_id).await?;
    let key = member_key(&user.account, &program.program_id);
    if let Some(item) = state.table.get(&key).await? {
        let member: Member = from_item(item)?;
        return Ok((StatusCode::OK, Json(my_link(&state, member).await?)));
    }
    if program.status != ProgramStatus::Active {
        return Err(Error::Unprocessable(
            "Dieses Empfehlungsprogramm nimmt derzeit keine Teilnehmer auf.".into(),
        ));
    }
    if !eligibility::approved_on(
        state.table.as_ref(),
        &program.partner_id,
        &user.platform,
        state.clock.today(),
    )
    .await?
    {
        return Err(Error::Unprocessable(
            "Dieses Empfehlungsprogramm wird auf Ihrer Plattform nicht angeboten.".into(),
        ));
    }
    // A link sends people only to a domain its partner has verified as its own.
    let verified = domains::verified(state.table.as_ref(), &program.partner_id).await?;
    if !domains::lies_on(&program.landing_url, &verified) {
        return Err(Error::Unprocessable(
            "Dieses Empfehlungsprogramm nimmt derzeit keine Teilnehmer auf: seine Zielseite \
             ist noch nicht bestätigt."
                .into(),
        ));
    }
    let referrer_hash = match state.table.get(&profile_key(&user.account)).await? {
        Some(item) => from_item::<Profile>(item)?.email_hash,
        None => String::new(),
    };
    let now = state.clock.now();
    for _ in 0..3 {
        let member = Member {
            program_id: program.program_id.clone(),
            code: short_code(CODE_LEN),
            reward_count: 0,
            pending_cents: 0,
            confirmed_cents: 0,
            pending_points: 0,
            confirmed_points: 0,
            joined_at: now,
        };
        let link = Link {
            code: member.code.clone(),
            program_id: program.program_id.clone(),
            partner_id: program.partner_id.clone(),
            referrer: user.account.clone(),
            platform_id: user.platform.clone(),
            landing_url: program.landing_url.clone(),
            active: true,
            attribution_days: program.attribution_days,
            referrer_hash: referrer_hash.clone(),
            created_at: now,
        };
        let ops = vec![
            TxOp::Put {
                item: to_item(&key, &member)?,
                cond: Cond::NotExists,
            }
            .named(step::MEMBER),
            TxOp::Put {
                item: link.to_item()?,
                cond: Cond::NotExists,
            }
            .named(step::CODE),
        ];
        match state.table.transact(ops).await {
            Ok(()) => return Ok((StatusCode::CREATED, Json(my_link(&state, member).await?))),
            // Joined concurrently: the link that won.
            Err(StoreError::TxCancelled {
                failed: step::MEMBER,
            }) => {
                let item =
                    state.table.get(&key).await?.ok_or_else(|| {
                        Error::Conflict("Bitte versuchen Sie es noch einmal.".into())
                    })?;
                return Ok((
                    StatusCode::OK,
                    Json(my_link(&state, from_item(item)?).await?),
                ));
            }
            // A code collision (62^10 codes): draw another.
            Err(StoreError::TxCancelled { failed: step::CODE }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Conflict(
        "Bitte versuchen Sie es noch einmal.".into(),
    ))
}

/// The end user's links with clicks and rewards.
#[utoipa::path(get, path = "/me/referrals", tag = "end users",
    summary = "Eigene Empfehlungslinks",
    responses((status = 200, description = "Every link of the end user.", body = MyLinks)))]
pub async fn mine(State(state): State<AppState>, auth: TenantAuth) -> Result<Json<MyLinks>> {
    let user = end_user(&auth)?;
    let items = state
        .table
        .query_all(
            enduser_partition(&user.account)
                .sk(shared::store::SkCond::BeginsWith(MEMBER_SK_PREFIX.into())),
        )
        .await?;
    let mut links = Vec::new();
    for item in items {
        links.push(my_link(&state, from_item(item)?).await?);
    }
    Ok(Json(MyLinks { links }))
}
