//! The run on DynamoDB Local, in a fresh process: partners per second, and the process's
//! peak memory (VmHWM) while the planner and the worker bill them with PDF and XRechnung.
//!
//! The parent seeds the partners into a fresh table; the child (this bench binary again,
//! started with [`CHILD_FLAG`]) runs the month as local-api does, with the same DynamoDB
//! client the worker uses. Its S3 API is the embedded store served from the same process,
//! so the memory figure is an upper bound of the deployed worker's.

use std::sync::Arc;

use aws_credential_types::Credentials;
use billing::{Billing, BillingConfig, LocalQueue};
use jiff::Timestamp;
use shared::auth::{JwtIssuer, JwtVerifier, generate_ed25519_pems};
use shared::clock::FixedClock;
use shared::crypto::DataKey;
use shared::domain::Cents;
use shared::embedded_s3::EmbeddedS3;
use shared::env::Env;
use shared::mail::OutboxMailer;
use shared::store::DynamoTable;
use shared::testing::Fixtures;

use super::{RUN_TIME, timed_run};
use shared::testing::bench::BoxError;

/// Where `cargo xtask bench` says DynamoDB Local listens while the handler benches run.
pub const ENDPOINT_VAR: &str = "PARTNERNETZ_BENCH_DYNAMODB";
pub const CHILD_FLAG: &str = "--billing-run-child";
const BUCKET: &str = "partnernetz-bench";

/// What the child measured.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ChildFigures {
    pub partners: usize,
    pub seconds: f64,
    pub peak_kb: u64,
}

fn dynamodb(endpoint: &str, table: &str, clock: Arc<FixedClock>) -> DynamoTable {
    let conf = aws_sdk_dynamodb::config::Builder::new()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("eu-central-1"))
        .credentials_provider(Credentials::from_keys("test", "test", None))
        .endpoint_url(endpoint)
        .http_client(shared::config::https_client())
        .build();
    DynamoTable::new(aws_sdk_dynamodb::Client::from_conf(conf), table, clock)
}

fn run_clock() -> Result<Arc<FixedClock>, BoxError> {
    Ok(Arc::new(FixedClock::at(RUN_TIME.parse::<Timestamp>()?)))
}

/// Seeds `count` billable partners into a fresh table, runs the child on it and returns
/// its figures.
pub async fn measure(endpoint: &str, count: usize) -> Result<ChildFigures, BoxError> {
    let name = format!("billing-bench-{}", shared::domain::new_id());
    let clock = run_clock()?;
    let table = dynamodb(endpoint, &name, clock.clone());
    table.create_table().await?;
    let issuer = JwtIssuer::from_pem(&generate_ed25519_pems()?.private_pem)?;
    let fixtures = Fixtures {
        table: &table,
        clock: clock.as_ref(),
        issuer: &issuer,
    };
    let platform = fixtures.platform("Sparkasse", Cents(4900)).await;
    for i in 0..count {
        let partner = fixtures
            .confirmed_partner(&format!("bench{i}@baeckerei-mueller.de"))
            .await;
        fixtures
            .approve(
                &partner,
                &platform,
                "Sparkasse",
                jiff::civil::date(2026, 11, 16),
            )
            .await;
    }
    let output = std::process::Command::new(std::env::current_exe()?)
        .args([CHILD_FLAG, endpoint, &name, &count.to_string()])
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "the run on DynamoDB Local failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// The child: bills the seeded partners and prints its figures as JSON.
pub fn child(args: &[String]) -> Result<(), BoxError> {
    let [endpoint, table, count] = args else {
        return Err(format!("{CHILD_FLAG} ENDPOINT TABLE COUNT").into());
    };
    let count: usize = count.parse()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let figures = runtime.block_on(async {
        let dir = std::env::temp_dir().join(format!("pn-bench-{}", shared::domain::new_id()));
        let s3 = EmbeddedS3::start(&dir.join("s3"), BUCKET, ([127, 0, 0, 1], 0).into()).await?;
        let clock = run_clock()?;
        let table = Arc::new(dynamodb(endpoint, table, clock.clone()));
        let pems = generate_ed25519_pems()?;
        let env = Env {
            table,
            blobs: s3.blobs(BUCKET)?,
            mailer: Arc::new(OutboxMailer::new(dir.join("outbox"))?),
            clock,
            verifier: Arc::new(JwtVerifier::from_pem(&pems.public_pem)?),
            issuer: None,
            data_key: Some(DataKey::from_base64(&DataKey::generate_base64())?),
            public_base_url: "https://partnernetz.de".into(),
        };
        let queue = Arc::new(LocalQueue::new());
        let billing = Arc::new(Billing::new(&env, queue.clone(), BillingConfig::local()));
        let seconds = timed_run(&billing, &queue, count).await;
        let _ = std::fs::remove_dir_all(&dir);
        Ok::<_, BoxError>(ChildFigures {
            partners: count,
            seconds: seconds?,
            peak_kb: peak_kb()?,
        })
    })?;
    println!("{}", serde_json::to_string(&figures)?);
    Ok(())
}

/// The process's peak resident set (VmHWM), in kB.
fn peak_kb() -> Result<u64, BoxError> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmHWM in /proc/self/status".into())
}
