//! DynamoDB's expressions for the port's conditions and updates, with their attribute names and
//! values: what `DynamoTable` sends, and what [`super::limits`] measures a transaction by, so
//! both adapters count a request's size alike.

use std::collections::HashMap;

use serde_json::Value;

use super::{Cond, Key, PK, TTL, TxOp, Update, cond_holds};

/// Collects expression attribute names and values while rendering expressions.
#[derive(Debug, Default)]
pub(crate) struct Expr {
    names: HashMap<String, String>,
    values: Vec<(String, Value)>,
}

impl Expr {
    pub(crate) fn name(&mut self, attr: &str) -> String {
        let placeholder = format!("#{attr}");
        self.names.insert(placeholder.clone(), attr.to_string());
        placeholder
    }

    pub(crate) fn value(&mut self, v: &Value) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.push((placeholder.clone(), v.clone()));
        placeholder
    }

    /// Renders a condition; DynamoDB refuses redundant parentheses, so parts are grouped only
    /// where they are combined.
    fn cond(&mut self, cond: &Cond) -> Option<String> {
        Some(match cond {
            Cond::Always => return None,
            Cond::Exists => format!("attribute_exists({})", self.name(PK)),
            Cond::NotExists => format!("attribute_not_exists({})", self.name(PK)),
            Cond::Eq(a, v) => format!("{} = {}", self.name(a), self.value(v)),
            Cond::Absent(a) => format!("attribute_not_exists({})", self.name(a)),
            Cond::Ge(a, n) => format!("{} >= {}", self.name(a), self.value(&Value::from(*n))),
            Cond::LtOrAbsent(a, n) => {
                let name = self.name(a);
                let v = self.value(&Value::from(*n));
                format!("attribute_not_exists({name}) OR {name} < {v}")
            }
            Cond::All(all) => {
                let mut parts = Vec::new();
                self.conjuncts(all, &mut parts);
                match parts.len() {
                    0 => return None,
                    1 => parts.remove(0),
                    _ => parts
                        .iter()
                        .map(|p| format!("({p})"))
                        .collect::<Vec<_>>()
                        .join(" AND "),
                }
            }
        })
    }

    /// The parts of nested `All`s, flattened.
    fn conjuncts(&mut self, all: &[Cond], parts: &mut Vec<String>) {
        for c in all {
            match c {
                Cond::All(inner) => self.conjuncts(inner, parts),
                other => parts.extend(self.cond(other)),
            }
        }
    }

    /// The condition as DynamoDB must evaluate it for an expired item to count as absent: when
    /// the condition holds for an absent item, an expired one passes too; otherwise the item
    /// must also be live.
    pub(crate) fn condition(&mut self, cond: &Cond, now: i64) -> Option<String> {
        let raw = self.cond(cond)?;
        let ttl = self.name(TTL);
        let number = self.value(&Value::from("N"));
        let now = self.value(&Value::from(now));
        let expired = format!("(attribute_type({ttl}, {number}) AND {ttl} <= {now})");
        Some(if cond_holds(cond, None) {
            format!("({raw}) OR {expired}")
        } else {
            format!("({raw}) AND NOT {expired}")
        })
    }

    pub(crate) fn update(&mut self, ops: &[Update]) -> String {
        let (mut set, mut add, mut remove) = (Vec::new(), Vec::new(), Vec::new());
        for op in ops {
            match op {
                Update::Set(a, v) => set.push(format!("{} = {}", self.name(a), self.value(v))),
                Update::Add(a, n) => {
                    add.push(format!("{} {}", self.name(a), self.value(&Value::from(*n))))
                }
                Update::Remove(a) => remove.push(self.name(a)),
            }
        }
        let mut expr = Vec::new();
        for (verb, parts) in [("SET", set), ("ADD", add), ("REMOVE", remove)] {
            if !parts.is_empty() {
                expr.push(format!("{verb} {}", parts.join(", ")));
            }
        }
        expr.join(" ")
    }

    /// The placeholders and the attribute names they stand for; `None` when there are none
    /// (DynamoDB refuses an empty map).
    pub(crate) fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    /// The placeholders and their values, in the order they were rendered.
    pub(crate) fn values(&self) -> &[(String, Value)] {
        &self.values
    }

    /// Each placeholder and the attribute name it stands for.
    pub(crate) fn placeholders(&self) -> impl Iterator<Item = (&str, &str)> {
        self.names.iter().map(|(p, n)| (p.as_str(), n.as_str()))
    }
}

/// One transaction operation's expressions, rendered as DynamoDB receives them.
#[derive(Debug)]
pub(crate) struct Rendered {
    pub(crate) condition: Option<String>,
    pub(crate) update: Option<String>,
    pub(crate) expr: Expr,
}

/// Renders `op`'s expressions, judging expiry at `now`.
pub(crate) fn render(op: &TxOp, now: i64) -> Rendered {
    let mut expr = Expr::default();
    let (update, condition) = match op {
        TxOp::Put { cond, .. } | TxOp::Delete { cond, .. } => (None, expr.condition(cond, now)),
        TxOp::Update { ops, cond, .. } => {
            let update = expr.update(ops);
            (Some(update), expr.condition(cond, now))
        }
        TxOp::Check { cond, .. } => {
            let condition = match expr.condition(cond, now) {
                Some(c) => c,
                // A check needs an expression; "always" is the key existing or not.
                None => {
                    let pk = expr.name(PK);
                    format!("attribute_exists({pk}) OR attribute_not_exists({pk})")
                }
            };
            (None, Some(condition))
        }
    };
    Rendered {
        condition,
        update,
        expr,
    }
}

/// The key an operation acts on (a put's from its item; `None` for an item without one).
pub(crate) fn op_key(op: &TxOp) -> Option<Key> {
    match op {
        TxOp::Put { item, .. } => Key::of(item),
        TxOp::Update { key, .. } | TxOp::Delete { key, .. } | TxOp::Check { key, .. } => {
            Some(key.clone())
        }
    }
}
