//! The daily schedule: pending points are released, expired credits go, oldest first; a
//! rerun of the same day changes nothing.

use jiff::civil::date;
use serde_json::json;

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
