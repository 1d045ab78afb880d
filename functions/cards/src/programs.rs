//! Programs: one or more per merchant, each of one kind (bonus points, prepaid, stamps,
//! gift card) with its rules.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shared::auth::PartnerAuth;
use shared::domain::{PartnerId, new_id};
use shared::env::AppState;
use shared::http::{ApiJson, Validator};
use shared::model::contracts::cards as contract;
use shared::model::partners::partner_pk;
use shared::model::{from_item, to_item};
use shared::openapi::Unprocessable;
use shared::store::{Cond, Index, Key, Query, SkCond, Table};
use shared::{Error, Result};
use utoipa::ToSchema;

const PROGRAM_PREFIX: &str = "CARDS#PROGRAM#";

pub fn program_key(partner: &PartnerId, program_id: &str) -> Key {
    Key::new(partner_pk(partner), format!("{PROGRAM_PREFIX}{program_id}"))
}

/// The rules of a program, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rules {
    /// Points per euro spent; each point is worth `point_value_cents` when redeemed.
    Bonus {
        #[schema(minimum = 1, maximum = 100)]
        points_per_euro: u32,
        #[schema(minimum = 1, maximum = 100)]
        point_value_cents: u32,
        /// Each credit expires after this many months (oldest points go first).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(minimum = 1, maximum = 120)]
        expiry_months: Option<u32>,
        /// New points can be redeemed only after this many days.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(minimum = 1, maximum = 90)]
        pending_days: Option<u32>,
    },
    /// Top up and pay with the balance, up to a maximum balance.
    Prepaid {
        #[schema(minimum = 100, maximum = 10_000_000)]
        max_balance_cents: i64,
    },
    /// `stamps_for_reward` stamps earn the reward; a stamp per visit, or per
    /// `cents_per_stamp` spent.
    Stamp {
        #[schema(minimum = 1, maximum = 100)]
        stamps_for_reward: u32,
        reward: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(minimum = 1, maximum = 10_000_000)]
        cents_per_stamp: Option<i64>,
    },
    /// A value loaded once (one of `choices_cents`, or any amount up to `max_cents` when
    /// there are none), redeemed in parts; valid to the end of the third year after purchase.
    Gift {
        #[serde(default)]
        choices_cents: Vec<i64>,
        #[schema(minimum = 100, maximum = 10_000_000)]
        max_cents: i64,
    },
}

impl Rules {
    pub fn kind(&self) -> &'static str {
        match self {
            Rules::Bonus { .. } => "bonus",
            Rules::Prepaid { .. } => "prepaid",
            Rules::Stamp { .. } => "stamp",
            Rules::Gift { .. } => "gift",
        }
    }

    /// The unit of the card's balance, in German.
    pub fn unit(&self) -> &'static str {
        match self {
            Rules::Bonus { .. } => "Punkte",
            Rules::Stamp { .. } => "Stempel",
            Rules::Prepaid { .. } | Rules::Gift { .. } => "Cent",
        }
    }

    fn validate(&self, v: &mut Validator) -> Rules {
        let within = |v: &mut Validator, field: &str, value: i64, min: i64, max: i64| {
            v.require(
                field,
                (min..=max).contains(&value),
                &format!("muss zwischen {min} und {max} liegen"),
            );
        };
        match self {
            Rules::Bonus {
                points_per_euro,
                point_value_cents,
                expiry_months,
                pending_days,
            } => {
                within(
                    v,
                    "rules.points_per_euro",
                    (*points_per_euro).into(),
                    1,
                    100,
                );
                within(
                    v,
                    "rules.point_value_cents",
                    (*point_value_cents).into(),
                    1,
                    100,
                );
                if let Some(m) = expiry_months {
                    within(v, "rules.expiry_months", (*m).into(), 1, 120);
                }
                if let Some(d) = pending_days {
                    within(v, "rules.pending_days", (*d).into(), 1, 90);
                }
                self.clone()
            }
            Rules::Prepaid { max_balance_cents } => {
                within(
                    v,
                    "rules.max_balance_cents",
                    *max_balance_cents,
                    100,
                    10_000_000,
                );
                self.clone()
            }
            Rules::Stamp {
                stamps_for_reward,
                reward,
                cents_per_stamp,
            } => {
                within(
                    v,
                    "rules.stamps_for_reward",
                    (*stamps_for_reward).into(),
                    1,
                    100,
                );
                let reward = v.text("rules.reward", reward, 200).unwrap_or_default();
                if let Some(c) = cents_per_stamp {
                    within(v, "rules.cents_per_stamp", *c, 1, 10_000_000);
                }
                Rules::Stamp {
                    stamps_for_reward: *stamps_for_reward,
                    reward,
                    cents_per_stamp: *cents_per_stamp,
                }
            }
            Rules::Gift {
                choices_cents,
                max_cents,
            } => {
                within(v, "rules.max_cents", *max_cents, 100, 10_000_000);
                v.require(
                    "rules.choices_cents",
                    choices_cents.len() <= 20
                        && choices_cents.iter().all(|c| (100..=*max_cents).contains(c)),
                    "höchstens 20 Beträge zwischen 1,00 € und dem Höchstbetrag",
                );
                let mut choices = choices_cents.clone();
                choices.sort_unstable();
                choices.dedup();
                Rules::Gift {
                    choices_cents: choices,
                    max_cents: *max_cents,
                }
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = CardProgram)]
pub struct Program {
    pub program_id: String,
    pub partner_id: PartnerId,
    pub name: String,
    pub rules: Rules,
    pub created_at: Timestamp,
}

impl Program {
    pub fn key(&self) -> Key {
        program_key(&self.partner_id, &self.program_id)
    }
}

/// A program of this merchant; 404 for another merchant's (ids cannot be probed).
pub async fn load(table: &dyn Table, partner: &PartnerId, program_id: &str) -> Result<Program> {
    let item = table
        .get(&program_key(partner, program_id))
        .await?
        .ok_or_else(|| Error::NotFound("Programm nicht gefunden.".into()))?;
    from_item(item)
}

pub async fn list_of(table: &dyn Table, partner: &PartnerId) -> Result<Vec<Program>> {
    table
        .query_all(
            Query::partition(Index::Primary, partner_pk(partner))
                .sk(SkCond::BeginsWith(PROGRAM_PREFIX.into())),
        )
        .await?
        .into_iter()
        .map(from_item)
        .collect()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Brötchen-Bonus", "rules": {"kind": "bonus", "points_per_euro": 1, "point_value_cents": 1, "expiry_months": 24}}))]
pub struct NewProgram {
    #[schema(value_type = shared::openapi::Text<100>, inline)]
    pub name: String,
    pub rules: Rules,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CardPrograms)]
pub struct Programs {
    pub programs: Vec<Program>,
}

/// Create a program (needs a card contract in force).
#[utoipa::path(post, path = "/cards/programs", tag = "cards", request_body = NewProgram,
    responses(
        (status = 201, description = "The program.", body = Program),
        (status = 422, response = Unprocessable),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiJson(body): ApiJson<NewProgram>,
) -> Result<(StatusCode, Json<Program>)> {
    let mut v = Validator::new();
    let name = v.text("name", &body.name, 100);
    let rules = body.rules.validate(&mut v);
    v.finish()?;
    let name = name.ok_or_else(|| Error::field("name", "fehlt"))?;
    let c = contract::require(state.table.as_ref(), &auth.partner_id).await?;
    if !c.runs_on(state.clock.today()) {
        return Err(Error::Unprocessable(
            "Der Kartenvertrag ist beendet.".into(),
        ));
    }
    let program = Program {
        program_id: new_id(),
        partner_id: auth.partner_id.clone(),
        name,
        rules,
        created_at: state.clock.now(),
    };
    state
        .table
        .put(to_item(&program.key(), &program)?, Cond::NotExists)
        .await?;
    Ok((StatusCode::CREATED, Json(program)))
}

/// The merchant's programs.
#[utoipa::path(get, path = "/cards/programs", tag = "cards",
    responses((status = 200, description = "The programs.", body = Programs)))]
pub async fn list(State(state): State<AppState>, auth: PartnerAuth) -> Result<Json<Programs>> {
    let mut programs = list_of(state.table.as_ref(), &auth.partner_id).await?;
    programs.sort_by(|a, b| a.program_id.cmp(&b.program_id));
    Ok(Json(Programs { programs }))
}
