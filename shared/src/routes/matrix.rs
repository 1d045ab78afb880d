//! The access matrix (docs/architecture.md §12.5), from a route table and its OpenAPI document.
//!
//! For every protected route: no token → 401; a malformed, a forged (another key) or an
//! expired token → 401; every role the route does not allow → 403; every id of another
//! tenant in place of the caller's own → 403 or 404. After each refusal the table and the
//! outbox are exactly as before. Finally each allowed caller with its own ids gets past
//! authorisation (neither 401/403 nor 5xx), so the refusals above are not an accident.
//!
//! A new route is covered by adding it to the route table; its request body comes from the
//! example in its `#[utoipa::path]` / `ToSchema` description.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use axum::Router;
use http::StatusCode;
use serde_json::Value;
use utoipa::openapi::OpenApi;

use super::Route;
use crate::auth::{JwtIssuer, Role, Scope, generate_ed25519_pems};
use crate::clock::Clock;
use crate::domain::{PartnerId, PlatformId};
use crate::testing::{Client, Reply, TestEnv};

/// One account the matrix acts as. Every role needs one, all of the "own" tenant.
#[derive(Debug, Clone)]
pub struct Caller {
    pub role: Role,
    pub sub: String,
    pub tenant: Option<String>,
    pub platforms: Vec<String>,
    pub scope: Scope,
}

impl Caller {
    /// A platform-wide login (operator, manager, partner).
    pub fn new(role: Role, sub: impl Into<String>) -> Self {
        Self {
            role,
            sub: sub.into(),
            tenant: None,
            platforms: Vec::new(),
            scope: Scope::Platform,
        }
    }

    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    pub fn platforms(mut self, platforms: &[&str]) -> Self {
        self.platforms = platforms.iter().map(|p| p.to_string()).collect();
        self
    }

    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// The operator acts for every tenant, so another tenant's ids do not bind it.
    fn bound_to_tenant(&self) -> bool {
        self.role != Role::Operator
    }
}

/// The "own" side the matrix acts as: one account per role, all of partner `partner`'s
/// tenant or of `platform`.
#[derive(Debug, Clone, Copy)]
pub struct OwnSide<'a> {
    pub operator: &'a str,
    /// The manager of `platform`.
    pub manager: &'a str,
    pub platform: &'a str,
    pub partner: &'a str,
}

impl OwnSide<'_> {
    /// The operator, the platform's manager, the partner, the partner's till, cardholder and
    /// customer accounts, and an end user of the platform.
    pub fn callers(&self) -> Vec<Caller> {
        let partner = PartnerId::from_raw(self.partner);
        let of_partner = |role: Role, scope: Scope| {
            Caller::new(role, "konto-a")
                .tenant(self.partner)
                .scope(scope)
        };
        vec![
            Caller::new(Role::Operator, self.operator),
            Caller::new(Role::Manager, self.manager).platforms(&[self.platform]),
            Caller::new(Role::Partner, self.partner).tenant(self.partner),
            of_partner(Role::Pos, Scope::Pos(partner.clone())),
            of_partner(Role::Cardholder, Scope::Cardholder(partner.clone())),
            of_partner(Role::Customer, Scope::Customer(partner)),
            Caller::new(Role::EndUser, "kunde-a")
                .scope(Scope::EndUser(PlatformId::from_raw(self.platform))),
        ]
    }
}

/// What the matrix did and what it found.
#[derive(Debug, Default)]
pub struct Report {
    /// Protected routes checked.
    pub routes: usize,
    /// Requests sent.
    pub requests: usize,
    /// One line per broken expectation.
    pub findings: Vec<String>,
}

impl Report {
    /// Nothing was found, every protected route of `routes` was checked, each with every
    /// role.
    pub fn assert_clean<S>(&self, routes: &[Route<S>]) {
        assert!(
            self.findings.is_empty(),
            "{} finding(s):\n{}",
            self.findings.len(),
            self.findings.join("\n")
        );
        let protected = routes.iter().filter(|r| !r.access.is_public()).count();
        assert_eq!(self.routes, protected, "every protected route was checked");
        assert!(
            self.requests >= protected * Role::ALL.len(),
            "each protected route was tried with every role ({} requests)",
            self.requests
        );
    }
}

pub struct Matrix<'a> {
    env: &'a TestEnv,
    client: Client,
    document: Value,
    forger: JwtIssuer,
    callers: Vec<Caller>,
    own: BTreeMap<String, String>,
    foreign: BTreeMap<String, String>,
}

/// The table and the outbox, to prove a refused request changed nothing.
#[derive(Debug, PartialEq)]
struct Snapshot {
    items: Vec<crate::store::Item>,
    mails: usize,
}

impl<'a> Matrix<'a> {
    /// The matrix over `router` (the function's finished router on `env`) and its document.
    pub fn new(env: &'a TestEnv, router: Router, document: &OpenApi) -> Self {
        let pems = generate_ed25519_pems().unwrap();
        Self {
            env,
            client: Client::in_process(router),
            document: serde_json::to_value(document).unwrap(),
            forger: JwtIssuer::from_pem(&pems.private_pem).unwrap(),
            callers: Vec::new(),
            own: BTreeMap::new(),
            foreign: BTreeMap::new(),
        }
    }

    /// Acts as `caller` for its role, in place of an earlier caller of that role.
    pub fn caller(mut self, caller: Caller) -> Self {
        self.callers.retain(|c| c.role != caller.role);
        self.callers.push(caller);
        self
    }

    /// Acts as `side`'s account of every role.
    pub fn own_side(self, side: OwnSide<'_>) -> Self {
        side.callers().into_iter().fold(self, Self::caller)
    }

    /// The value of path parameter `param` for the callers' own tenant and for another one.
    pub fn ids(mut self, param: &str, own: impl Into<String>, foreign: impl Into<String>) -> Self {
        self.own.insert(param.to_string(), own.into());
        self.foreign.insert(param.to_string(), foreign.into());
        self
    }

    pub async fn check<S>(&self, routes: &[Route<S>]) -> Report {
        let mut report = Report::default();
        for role in Role::ALL {
            if !self.callers.iter().any(|c| c.role == role) {
                report
                    .findings
                    .push(format!("no caller for role {}", role.as_str()));
            }
        }
        for route in routes.iter().filter(|r| !r.access.is_public()) {
            report.routes += 1;
            self.check_route(route, &mut report).await;
        }
        report
    }

    async fn check_route<S>(&self, route: &Route<S>, report: &mut Report) {
        let name = format!("{} {}", route.method, route.path);
        let body = match self.example_body(route) {
            Ok(body) => body,
            Err(finding) => {
                report.findings.push(format!("{name}: {finding}"));
                return;
            }
        };
        let own_path = fill(route.path, &self.own, &BTreeMap::new());
        let unauthorised = [StatusCode::UNAUTHORIZED];
        let forbidden = [StatusCode::FORBIDDEN];

        let mut refusals: Vec<(String, String, Option<String>, &[StatusCode])> = vec![
            ("no token".into(), own_path.clone(), None, &unauthorised),
            (
                "a malformed token".into(),
                own_path.clone(),
                Some("kein.gueltiges.token".into()),
                &unauthorised,
            ),
        ];
        for caller in &self.callers {
            let role = caller.role.as_str();
            if route.access.allows(caller.role) {
                refusals.push((
                    format!("a forged {role} token"),
                    own_path.clone(),
                    Some(self.token(&self.forger, caller, 0)),
                    &unauthorised,
                ));
                refusals.push((
                    format!("an expired {role} token"),
                    own_path.clone(),
                    Some(self.token(&self.env.issuer, caller, -3600)),
                    &unauthorised,
                ));
            } else {
                refusals.push((
                    format!("a {role} token"),
                    own_path.clone(),
                    Some(self.token(&self.env.issuer, caller, 0)),
                    &forbidden,
                ));
            }
        }
        let foreign_statuses = [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND];
        let owned = route.access.owned_params();
        for caller in self
            .callers
            .iter()
            .filter(|c| route.access.allows(c.role) && c.bound_to_tenant())
        {
            for subset in non_empty_subsets(owned) {
                let path = fill(route.path, &self.own, &self.pick_foreign(&subset));
                refusals.push((
                    format!(
                        "a {} token with another tenant's {}",
                        caller.role.as_str(),
                        subset.join(" and ")
                    ),
                    path,
                    Some(self.token(&self.env.issuer, caller, 0)),
                    &foreign_statuses,
                ));
            }
        }

        for (what, path, token, expected) in refusals {
            report.requests += 1;
            if let Err(finding) = self
                .refused(route, &path, token.as_deref(), body.clone(), expected)
                .await
            {
                report
                    .findings
                    .push(format!("{name} with {what}: {finding}"));
            }
        }

        // The control: the same requests from an allowed caller with its own ids pass.
        for caller in self.callers.iter().filter(|c| route.access.allows(c.role)) {
            report.requests += 1;
            let token = self.token(&self.env.issuer, caller, 0);
            let reply = self
                .client
                .call(route.method.as_str(), &own_path, body.clone(), Some(&token))
                .await;
            if matches!(
                reply.status,
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
            ) || reply.status.is_server_error()
            {
                report.findings.push(format!(
                    "{name} as its own {}: answered {} {}",
                    caller.role.as_str(),
                    reply.status,
                    reply.body
                ));
            }
        }
    }

    /// Sends one request that must be refused with one of `expected`, changing nothing.
    async fn refused(
        &self,
        route: &Route<impl Sized>,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        expected: &[StatusCode],
    ) -> Result<(), String> {
        let before = self.snapshot().await;
        let reply = self
            .client
            .call(route.method.as_str(), path, body, token)
            .await;
        let after = self.snapshot().await;
        if !expected.contains(&reply.status) {
            return Err(format!(
                "expected {}, answered {} {}",
                expected
                    .iter()
                    .map(|s| s.as_u16().to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
                reply.status,
                reply.body
            ));
        }
        check_problem(&reply)?;
        if before != after {
            return Err(format!(
                "refused with {}, but the table or the outbox changed",
                reply.status
            ));
        }
        Ok(())
    }

    async fn snapshot(&self) -> Snapshot {
        Snapshot {
            items: self.env.table.dump().unwrap(),
            mails: self.env.mails().await.len(),
        }
    }

    fn token(&self, issuer: &JwtIssuer, caller: &Caller, age_offset: i64) -> String {
        issuer
            .issue_scoped(
                &caller.sub,
                caller.role,
                caller.tenant.clone(),
                caller.platforms.clone(),
                caller.scope.clone(),
                self.env.clock.epoch() + age_offset,
            )
            .unwrap()
    }

    fn pick_foreign(&self, params: &[&str]) -> BTreeMap<String, String> {
        params
            .iter()
            .filter_map(|p| self.foreign.get(*p).map(|id| (p.to_string(), id.clone())))
            .collect()
    }

    /// The documented example of the route's JSON body: `None` for routes without one.
    fn example_body<S>(&self, route: &Route<S>) -> Result<Option<Value>, String> {
        let method = route.method.as_str().to_ascii_lowercase();
        let op = self
            .document
            .pointer(&format!(
                "/paths/{}/{method}",
                route.path.replace('~', "~0").replace('/', "~1")
            ))
            .ok_or("not in the OpenAPI document")?;
        let Some(content) = op.pointer("/requestBody/content/application~1json") else {
            return Ok(None);
        };
        if let Some(example) = content.get("example") {
            return Ok(Some(example.clone()));
        }
        if let Some(example) = content
            .get("examples")
            .and_then(Value::as_object)
            .and_then(|e| e.values().next())
            .and_then(|e| e.get("value"))
        {
            return Ok(Some(example.clone()));
        }
        let schema = self.resolve(content.get("schema").unwrap_or(&Value::Null));
        schema
            .get("example")
            .or_else(|| schema.get("examples").and_then(|e| e.get(0)))
            .cloned()
            .map(Some)
            .ok_or_else(|| "its request body has no example in the document".to_string())
    }

    fn resolve<'v>(&'v self, schema: &'v Value) -> &'v Value {
        match schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        {
            Some(pointer) => self.document.pointer(pointer).unwrap_or(&Value::Null),
            None => schema,
        }
    }
}

/// A refusal is a problem+json; a 401 also names the scheme (`WWW-Authenticate: Bearer`).
fn check_problem(reply: &Reply) -> Result<(), String> {
    if reply.content_type() != "application/problem+json" {
        return Err(format!(
            "answered {} as {:?}, not application/problem+json",
            reply.status,
            reply.content_type()
        ));
    }
    if reply.status == StatusCode::UNAUTHORIZED
        && reply
            .headers
            .get(http::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            != Some("Bearer")
    {
        return Err("401 without WWW-Authenticate: Bearer".into());
    }
    Ok(())
}

/// `template` with each `{param}` replaced: from `foreign` first, then `own`, else a fresh id.
fn fill(
    template: &str,
    own: &BTreeMap<String, String>,
    foreign: &BTreeMap<String, String>,
) -> String {
    let mut path = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let param = &rest[start + 1..start + len];
        path.push_str(&rest[..start]);
        let id = foreign
            .get(param)
            .or_else(|| own.get(param))
            .cloned()
            .unwrap_or_else(crate::domain::new_id);
        path.push_str(&id);
        rest = &rest[start + len + 1..];
    }
    path.push_str(rest);
    path
}

fn non_empty_subsets<'p>(params: &[&'p str]) -> Vec<Vec<&'p str>> {
    (1..1u32 << params.len())
        .map(|mask| {
            params
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, p)| *p)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_filled_from_foreign_then_own_ids() {
        let own: BTreeMap<String, String> = [
            ("platform_id".into(), "P1".into()),
            ("partner_id".into(), "A".into()),
        ]
        .into();
        let foreign: BTreeMap<String, String> = [("partner_id".into(), "B".into())].into();
        assert_eq!(
            fill(
                "/platforms/{platform_id}/applications/{partner_id}/decision",
                &own,
                &foreign
            ),
            "/platforms/P1/applications/B/decision"
        );
        assert_eq!(fill("/partners/me", &own, &foreign), "/partners/me");
    }

    #[test]
    fn every_non_empty_combination_of_owned_params() {
        assert_eq!(
            non_empty_subsets(&["a", "b"]),
            vec![vec!["a"], vec!["b"], vec!["a", "b"]]
        );
        assert!(non_empty_subsets(&[]).is_empty());
    }
}
