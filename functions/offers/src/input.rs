//! An offer as a partner enters it, and the rules it must satisfy before anything is written.

use std::collections::BTreeSet;

use jiff::civil::Date;
use serde::Deserialize;
use shared::domain::{Cents, PlatformId};
use shared::http::Validator;
use shared::model::platforms::platform_key;
use shared::store::Table;
use shared::{Error, FieldError, Result};
use utoipa::ToSchema;

use crate::offer::{Benefit, BenefitKind, Category, Content, Image, InStore, Online};

pub const MAX_CATEGORIES: usize = 3;
pub const MAX_PLATFORMS: usize = 20;
/// Offers are planned for at most two years ahead.
const MAX_VALIDITY_DAYS: i64 = 731;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BenefitInput {
    pub kind: BenefitKind,
    /// Percent (1–100) for `percent`, cents for `amount`.
    pub value: Option<i64>,
    /// Required for `free_add_on` and `other` (up to 200 characters).
    pub text: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnlineInput {
    /// The shop's https address.
    pub shop_url: String,
    pub discount_code: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InStoreInput {
    /// How to redeem in the shop (up to 1000 characters).
    pub instructions: String,
    /// Printed on the coupon, with its QR code.
    pub coupon_code: String,
}

/// An offer's texts, benefit, redemption, validity, categories and platforms.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "15 % auf alle Torten",
    "teaser": "Für Kundinnen und Kunden der Sparkasse",
    "description": "Zeigen Sie den Gutschein an der Theke.",
    "benefit": {"kind": "percent", "value": 15},
    "in_store": {"instructions": "Gutschein an der Kasse zeigen.", "coupon_code": "TORTE15"},
    "valid_from": "2026-12-01",
    "valid_to": "2026-12-31",
    "categories": ["essen"],
    "platforms": ["0191f7a8-0000-7000-8000-000000000000"]
}))]
pub struct OfferInput {
    /// Up to 100 characters.
    pub title: String,
    /// Up to 200 characters.
    pub teaser: String,
    /// Up to 5000 characters, with line breaks.
    pub description: String,
    /// Required: an offer without a benefit for the community is refused (422).
    #[schema(required = true, nullable = false)]
    pub benefit: Option<BenefitInput>,
    pub online: Option<OnlineInput>,
    pub in_store: Option<InStoreInput>,
    /// First day (Europe/Berlin).
    pub valid_from: Date,
    /// Last day (Europe/Berlin), not before `valid_from`.
    pub valid_to: Date,
    /// One to three of the fixed categories.
    #[schema(example = json!(["essen"]))]
    pub categories: Vec<String>,
    /// The platforms it is meant for (1–20).
    pub platforms: Vec<PlatformId>,
}

/// A valid offer input: its content (without images) and its platforms.
#[derive(Debug)]
pub struct Valid {
    pub content: Content,
    pub platforms: Vec<PlatformId>,
}

fn code(v: &mut Validator, field: &str, value: Option<&str>) -> Option<String> {
    let code = v.optional_text(field, value, 40)?;
    let ok = code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    v.require(
        field,
        ok,
        "darf nur Buchstaben A–Z, Ziffern, - und _ enthalten",
    );
    Some(code)
}

fn https_url(v: &mut Validator, field: &str, raw: &str) -> Option<String> {
    let text = v.text(field, raw, 500)?;
    let ok = url::Url::parse(&text)
        .is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some_and(|h| h.contains('.')));
    v.require(
        field,
        ok,
        "muss eine https-Adresse sein (z. B. https://shop.example.de)",
    );
    Some(text)
}

fn benefit(v: &mut Validator, input: &BenefitInput) -> Option<Benefit> {
    let text = v.optional_text("benefit.text", input.text.as_deref(), 200);
    match input.kind {
        BenefitKind::Percent => {
            let ok = input.value.is_some_and(|p| (1..=100).contains(&p));
            v.require(
                "benefit.value",
                ok,
                "muss ein Prozentsatz von 1 bis 100 sein",
            );
        }
        BenefitKind::Amount => {
            let ok = input
                .value
                .is_some_and(|c| c > 0 && Cents::parse_input(c).is_ok());
            v.require(
                "benefit.value",
                ok,
                "muss ein Betrag in Cent über 0 sein (höchstens 100.000,00 €)",
            );
        }
        BenefitKind::FreeAddOn | BenefitKind::Other => {
            v.require(
                "benefit.text",
                text.is_some() || input.text.is_some(),
                "beschreibt den Vorteil und darf nicht leer sein",
            );
        }
    }
    let value = match input.kind {
        BenefitKind::Percent | BenefitKind::Amount => input.value,
        _ => None,
    };
    Some(Benefit {
        kind: input.kind,
        value,
        text,
    })
}

/// Checks every rule and names every bad field; `today` bounds the validity. Platforms must
/// exist. A missing benefit is a rule (422), the rest is bad input (400).
pub async fn validate(table: &dyn Table, input: &OfferInput, today: Date) -> Result<Valid> {
    let Some(benefit_input) = &input.benefit else {
        return Err(Error::UnprocessableFields {
            detail: "Ein Angebot braucht einen Mehrwert für die Community.".into(),
            errors: vec![FieldError::new(
                "benefit",
                "Geben Sie einen Vorteil an (Rabatt, Betrag, Gratis-Zugabe oder anderes).",
            )],
        });
    };
    let mut v = Validator::new();
    let title = v.text("title", &input.title, 100);
    let teaser = v.text("teaser", &input.teaser, 200);
    let description = v.optional_multiline_text("description", Some(&input.description), 5000);
    v.require(
        "description",
        !input.description.trim().is_empty(),
        "darf nicht leer sein",
    );
    let benefit = benefit(&mut v, benefit_input);

    let online = input.online.as_ref().map(|o| {
        let url = https_url(&mut v, "online.shop_url", &o.shop_url);
        let discount_code = code(&mut v, "online.discount_code", o.discount_code.as_deref());
        url.map(|shop_url| Online {
            shop_url,
            discount_code,
        })
    });
    let in_store = input.in_store.as_ref().map(|s| {
        let instructions =
            v.optional_multiline_text("in_store.instructions", Some(&s.instructions), 1000);
        v.require(
            "in_store.instructions",
            !s.instructions.trim().is_empty(),
            "darf nicht leer sein",
        );
        let coupon_code = code(&mut v, "in_store.coupon_code", Some(&s.coupon_code));
        v.require(
            "in_store.coupon_code",
            !s.coupon_code.trim().is_empty(),
            "darf nicht leer sein",
        );
        instructions.map(|instructions| InStore {
            instructions,
            coupon_code,
        })
    });
    v.require(
        "online",
        input.online.is_some() || input.in_store.is_some(),
        "Geben Sie an, wie das Angebot eingelöst wird: online (Shop-Adresse) und/oder im Geschäft",
    );

    v.require(
        "valid_to",
        input.valid_to >= input.valid_from,
        "darf nicht vor valid_from liegen",
    );
    v.require(
        "valid_to",
        input.valid_to >= today,
        "liegt in der Vergangenheit",
    );
    v.require(
        "valid_to",
        (input.valid_to - today).get_days() as i64 <= MAX_VALIDITY_DAYS || input.valid_to < today,
        "darf höchstens zwei Jahre in der Zukunft liegen",
    );

    let mut categories = BTreeSet::new();
    for (i, raw) in input.categories.iter().enumerate() {
        match Category::parse(raw.trim()) {
            Some(c) => {
                categories.insert(c);
            }
            None => v.require(
                &format!("categories[{i}]"),
                false,
                "ist keine bekannte Kategorie",
            ),
        }
    }
    v.require(
        "categories",
        (1..=MAX_CATEGORIES).contains(&input.categories.len()),
        "braucht eine bis drei Kategorien",
    );

    let mut platforms: Vec<PlatformId> = Vec::new();
    v.require(
        "platforms",
        (1..=MAX_PLATFORMS).contains(&input.platforms.len()),
        "braucht mindestens eine und höchstens 20 Plattformen",
    );
    if input.platforms.len() <= MAX_PLATFORMS {
        for (i, p) in input.platforms.iter().enumerate() {
            if platforms.contains(p) {
                continue;
            }
            if table.get(&platform_key(p)).await?.is_none() {
                v.require(
                    &format!("platforms[{i}]"),
                    false,
                    "ist keine bekannte Plattform",
                );
            } else {
                platforms.push(p.clone());
            }
        }
    }
    v.finish()?;
    let (Some(title), Some(teaser), Some(description), Some(benefit)) =
        (title, teaser, description, benefit)
    else {
        return Err(Error::field("body", "ist unvollständig"));
    };
    Ok(Valid {
        content: Content {
            title,
            teaser,
            description,
            benefit,
            online: online.flatten(),
            in_store: in_store.flatten(),
            valid_from: input.valid_from,
            valid_to: input.valid_to,
            categories: categories.into_iter().collect(),
            images: Vec::<Image>::new(),
        },
        platforms,
    })
}
