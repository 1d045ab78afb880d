//! A sign-up costs one password hash whether or not the address is known, so its timing
//! tells nothing. A test binary of its own: it counts `hash_password` spans with a
//! subscriber for its thread, and other tests of the same process reaching the span's
//! callsite first, without a subscriber, could leave its interest cached as "never".
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use common::{TestApp, sign_up};

#[tokio::test]
async fn sign_up_hashes_the_password_for_known_addresses_too() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tracing_subscriber::layer::{Context, SubscriberExt};

    /// Counts `hash_password` spans: one per argon2id hash.
    struct Hashes(Arc<AtomicUsize>);
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Hashes {
        fn on_new_span(
            &self,
            attrs: &tracing::span::Attributes<'_>,
            _: &tracing::span::Id,
            _: Context<'_, S>,
        ) {
            if attrs.metadata().name() == "hash_password" {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
    let hashes = Arc::new(AtomicUsize::new(0));
    // This test's thread only: the router runs on it (current-thread runtime).
    let _subscriber = tracing::subscriber::set_default(
        tracing_subscriber::registry().with(Hashes(hashes.clone())),
    );

    let app = TestApp::new().await;
    let new = app
        .call(
            "POST",
            "/partners",
            Some(sign_up("anna@baeckerei.de")),
            None,
        )
        .await;
    assert_eq!(new.status, StatusCode::ACCEPTED);
    let for_new = hashes.swap(0, Ordering::SeqCst);
    let known = app
        .call(
            "POST",
            "/partners",
            Some(sign_up("Anna@Baeckerei.de")),
            None,
        )
        .await;
    assert_eq!(known.status, StatusCode::ACCEPTED);
    let for_known = hashes.swap(0, Ordering::SeqCst);
    assert_eq!(for_new, 1, "a new account costs one hash");
    assert_eq!(
        for_known, for_new,
        "a known address costs the same hash, so timing tells nothing"
    );
    assert_eq!(new.body, known.body);
}
