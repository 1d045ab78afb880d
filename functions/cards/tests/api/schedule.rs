//! The daily schedule: pending points are released, expired credits go, oldest first; a
//! rerun of the same day changes nothing.

use jiff::civil::date;
use serde_json::json;
use shared::store::{
    Cond, Consistency, Item, Key, Named, Query, StoreError, StoredPage, Table, TxOp, Update,
};

use crate::kit::World;

#[tokio::test]
async fn points_wait_then_count_then_expire_oldest_first() {
    let w = World::new().await;
    w.at("2026-01-10T10:00:00Z");
    let m = w.merchant("anna@baeckerei-a.de").await;
    let program = w
        .program(
            &m,
            json!({"kind": "bonus", "points_per_euro": 1, "point_value_cents": 1,
                "expiry_months": 2, "pending_days": 7}),
        )
        .await;
    let number = w.cards(&m, &program, 1).await.remove(0).0;
    let earned = w
        .book(
            &m.pos,
            &number,
            "k-1",
            json!({"type": "earn", "amount_cents": 10000}),
        )
        .await;
    assert_eq!(earned.body["pending"], 100, "{:?}", earned.body);
    assert_eq!(earned.body["balance"], 0);
    let early = w
        .book(
            &m.pos,
            &number,
            "k-2",
            json!({"type": "redeem", "points": 1}),
        )
        .await;
    assert_eq!(
        early.status.as_u16(),
        422,
        "pending points cannot be redeemed yet"
    );

    w.at("2026-02-01T10:00:00Z");
    w.book(
        &m.pos,
        &number,
        "k-3",
        json!({"type": "earn", "amount_cents": 5000}),
    )
    .await;
    let env = w.kit.env.clone();
    let run = |day| {
        let env = env.clone();
        async move { cards::daily::run(&env, day, &mut |_, _| {}).await }
    };
    let first = run(date(2026, 2, 1)).await.unwrap();
    assert_eq!(first.released_points, 100);
    assert_eq!(w.balance(&m, &number).await, 100);
    let rerun = run(date(2026, 2, 1)).await.unwrap();
    assert_eq!(
        (rerun.released_points, rerun.entries),
        (0, 0),
        "a rerun changes nothing"
    );

    w.book(
        &m.pos,
        &number,
        "k-4",
        json!({"type": "redeem", "points": 30}),
    )
    .await;
    // 10 March: the first credit (100, 30 of it redeemed) expires; the second is still pending.
    let expiry = run(date(2026, 3, 10)).await.unwrap();
    assert_eq!(expiry.expired_points, 70);
    assert_eq!(expiry.released_points, 50);
    assert_eq!(w.balance(&m, &number).await, 50);
    assert_eq!(run(date(2026, 3, 10)).await.unwrap().entries, 0);

    w.at("2026-03-10T10:00:00Z");
    let holder = w.cards(&m, &program, 1).await.remove(0);
    let me_before = w
        .call("GET", &format!("/cards/pos/cards/{number}"), None, &m.pos)
        .await;
    assert_eq!(me_before.body["balance"], 50);
    let _ = holder;
    let last = run(date(2026, 4, 1)).await.unwrap();
    assert_eq!(last.expired_points, 50);
    assert_eq!(w.balance(&m, &number).await, 0);
}

/// The kit's table, but every transaction on one card fails while `broken` is set: a card
/// the store will not write tonight.
struct OneCardFails {
    inner: shared::store::SharedTable,
    card_pk: String,
    broken: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl Table for OneCardFails {
    async fn get_with(&self, key: &Key, c: Consistency) -> Result<Option<Item>, StoreError> {
        self.inner.get_with(key, c).await
    }
    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
        self.inner.put(item, cond).await
    }
    async fn update(&self, key: &Key, ops: &[Update], cond: Cond) -> Result<Item, StoreError> {
        self.inner.update(key, ops, cond).await
    }
    async fn delete(&self, key: &Key, cond: Cond) -> Result<(), StoreError> {
        self.inner.delete(key, cond).await
    }
    async fn query_stored(&self, query: Query) -> Result<StoredPage, StoreError> {
        self.inner.query_stored(query).await
    }
    async fn transact(&self, ops: Vec<Named>) -> Result<(), StoreError> {
        let touches = ops.iter().any(|n| match &n.op {
            TxOp::Put { item, .. } => {
                item.get("pk").and_then(|v| v.as_str()) == Some(&self.card_pk)
            }
            TxOp::Update { key, .. } | TxOp::Delete { key, .. } | TxOp::Check { key, .. } => {
                key.pk == self.card_pk
            }
        });
        if touches && self.broken.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(StoreError::unavailable(std::io::Error::other(
                "the card's partition cannot be written",
            )));
        }
        self.inner.transact(ops).await
    }
}

#[tokio::test]
async fn the_run_skips_replaced_cards_goes_on_past_a_failing_card_and_retries_it_next_night() {
    let w = World::new().await;
    w.at("2026-01-10T10:00:00Z");
    let pending = json!({"kind": "bonus", "points_per_euro": 1, "point_value_cents": 1,
        "pending_days": 7});
    // Merchant A moved a card with pending points to a new one.
    let a = w.merchant("anna@baeckerei-a.de").await;
    let program_a = w
        .program(
            &a,
            json!({"kind": "bonus", "points_per_euro": 1, "point_value_cents": 1,
                "pending_days": 7, "expiry_months": 12}),
        )
        .await;
    let cards_a = w.cards(&a, &program_a, 2).await;
    let (lost, replacement) = (&cards_a[0].0, &cards_a[1].0);
    w.book(
        &a.pos,
        lost,
        "a-1",
        json!({"type": "earn", "amount_cents": 1000}),
    )
    .await;
    let moved = w
        .call(
            "POST",
            &format!("/cards/cards/{lost}/transfer"),
            Some(json!({"to_number": replacement})),
            &a.partner.token,
        )
        .await;
    assert_eq!(moved.status.as_u16(), 200, "{:?}", moved.body);
    // Merchant B has two cards with pending points; the store fails one of them tonight.
    let b = w.merchant("bert@metzgerei-b.de").await;
    let program_b = w.program(&b, pending).await;
    let cards_b = w.cards(&b, &program_b, 2).await;
    let (fine, failing) = (&cards_b[0].0, &cards_b[1].0);
    for (i, number) in [fine, failing].into_iter().enumerate() {
        w.book(
            &b.pos,
            number,
            &format!("b-{i}"),
            json!({"type": "earn", "amount_cents": 2000}),
        )
        .await;
    }

    let table = OneCardFails {
        inner: w.kit.table.clone(),
        card_pk: format!("CARD#{failing}"),
        broken: true.into(),
    };
    let night = cards::daily::run_on(
        &table,
        w.kit.clock.as_ref(),
        date(2026, 1, 17),
        &mut |_, _| {},
    )
    .await
    .expect("one card does not stop the run");
    assert_eq!(night.cards_skipped, 1, "{night}");
    assert_eq!(night.released_points, 10 + 20, "{night}");
    assert_eq!(night.failures.len(), 1, "{night}");
    assert_eq!(night.failures[0].card.as_deref(), Some(failing.as_str()));
    assert_eq!(night.failures[0].partner_id, b.id);
    assert_eq!(w.balance(&a, replacement).await, 10);
    assert_eq!(w.balance(&b, fine).await, 20);
    assert_eq!(w.balance(&b, failing).await, 0);

    table
        .broken
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let next = cards::daily::run_on(
        &table,
        w.kit.clock.as_ref(),
        date(2026, 1, 18),
        &mut |_, _| {},
    )
    .await
    .unwrap();
    assert!(next.failures.is_empty(), "{next}");
    assert_eq!(
        next.released_points, 20,
        "the failed card's points, a night late"
    );
    assert_eq!(w.balance(&b, failing).await, 20);
}
