//! A merchant with a contract, programs and cards, and the tokens of its till and holders.

use axum::body::Body;
use http::{Request, StatusCode};
use jiff::Timestamp;
use serde_json::{Value, json};
use shared::auth::{Role, Scope};
use shared::clock::Clock;
use shared::domain::{AccountId, PartnerId};
use shared::model::accounts::{Login, LoginName, login_key};
use shared::model::from_item;
use shared::store::Table;
use shared::testing::{Client, PartnerFixture, Reply, TestEnv};

pub struct World {
    pub kit: TestEnv,
    pub client: Client,
    pub operator: String,
}

pub struct Merchant {
    pub id: PartnerId,
    pub partner: PartnerFixture,
    pub pos: String,
}

impl World {
    /// The operator has priced a terminal user at 9,90 € a month.
    pub async fn new() -> Self {
        let kit = TestEnv::new().await;
        // Holders go on working on the days the tests move the clock to.
        let client = Client::in_process(cards::build(&kit.env)).with_sessions(kit.sessions());
        let operator = kit.fixtures().operator("olga@betreiber.de").await.token;
        let world = Self {
            kit,
            client,
            operator,
        };
        let price = world
            .call(
                "PUT",
                "/cards/price",
                Some(json!({"fee_per_terminal_user_cents": 990})),
                &world.operator,
            )
            .await;
        assert_eq!(price.status, StatusCode::OK, "{:?}", price.body);
        world
    }

    pub fn at(&self, when: &str) {
        self.kit.clock.set(when.parse::<Timestamp>().unwrap());
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<Value>, token: &str) -> Reply {
        self.client.call(method, path, body, Some(token)).await
    }

    /// A confirmed partner with a token valid on the test's clock.
    pub async fn partner(&self, email: &str) -> PartnerFixture {
        self.kit.fixtures().confirmed_partner(email).await
    }

    /// A partner with a signed card contract and a till token.
    pub async fn merchant(&self, email: &str) -> Merchant {
        let partner = self.partner(email).await;
        let signed = self
            .call("POST", "/cards/contract", None, &partner.token)
            .await;
        assert_eq!(signed.status, StatusCode::CREATED, "{:?}", signed.body);
        let pos = self.token(
            Role::Pos,
            &partner.id,
            Scope::Pos(partner.id.clone()),
            AccountId::generate().as_str(),
        );
        Merchant {
            id: partner.id.clone(),
            partner,
            pos,
        }
    }

    pub fn token(&self, role: Role, tenant: &PartnerId, scope: Scope, sub: &str) -> String {
        self.kit
            .issuer
            .issue_scoped(
                sub,
                role,
                Some(tenant.to_string()),
                vec![],
                scope,
                self.kit.clock.epoch(),
            )
            .unwrap()
    }

    pub async fn program(&self, m: &Merchant, rules: Value) -> String {
        let reply = self
            .call(
                "POST",
                "/cards/programs",
                Some(json!({"name": "Treueprogramm", "rules": rules})),
                &m.partner.token,
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.body["program_id"].as_str().unwrap().to_string()
    }

    /// A batch of cards: (number, activation code) as the print shop's CSV lists them.
    pub async fn cards(&self, m: &Merchant, program: &str, count: u32) -> Vec<(String, String)> {
        let reply = self
            .call(
                "POST",
                &format!("/cards/programs/{program}/batches"),
                Some(json!({"count": count})),
                &m.partner.token,
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        let csv = reqwest::get(reply.body["csv_url"].as_str().unwrap())
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(csv.starts_with("\u{feff}".as_bytes()), "UTF-8 with BOM");
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(&csv[3..]);
        assert_eq!(
            reader.headers().unwrap().iter().collect::<Vec<_>>(),
            cards::batches::PRINT_HEADERS
        );
        reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                assert_eq!(r[0].len(), 19, "printed in blocks of four: {}", &r[0]);
                (r[0].replace(' ', ""), r[1].to_string())
            })
            .collect()
    }

    pub async fn book(&self, token: &str, number: &str, key: &str, body: Value) -> Reply {
        let req = Request::builder()
            .method("POST")
            .uri(format!("/cards/pos/cards/{number}/bookings"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(Body::from(body.to_string()))
            .unwrap();
        self.client.send(req).await
    }

    pub async fn balance(&self, m: &Merchant, number: &str) -> i64 {
        let reply = self
            .call("GET", &format!("/cards/pos/cards/{number}"), None, &m.pos)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body["balance"].as_i64().unwrap()
    }

    /// Registers a card for a cardholder and returns the holder's token.
    pub async fn holder(&self, m: &Merchant, card: &(String, String), data: Value) -> String {
        let mut body = json!({
            "number": card.0, "activation_code": card.1, "consent": true,
            "statistics_consent": true,
        });
        for (k, v) in data.as_object().unwrap() {
            body[k] = v.clone();
        }
        let reply = self
            .client
            .call("POST", "/cards/register", Some(body), None)
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        let login = self
            .kit
            .table
            .get(&login_key(
                &Scope::Cardholder(m.id.clone()),
                &LoginName::parse(&card.0).unwrap(),
            ))
            .await
            .unwrap()
            .expect("the login guard");
        let login: Login = from_item(login).unwrap();
        self.token(
            Role::Cardholder,
            &m.id,
            Scope::Cardholder(m.id.clone()),
            AccountId::as_str(&login.account_id),
        )
    }
}

pub const BONUS: fn() -> Value =
    || json!({"kind": "bonus", "points_per_euro": 1, "point_value_cents": 1});
pub const PREPAID: fn() -> Value = || json!({"kind": "prepaid", "max_balance_cents": 20000});
