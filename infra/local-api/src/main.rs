//! `cargo run -p local-api` serves the platform on 127.0.0.1:3000.
//! `cargo run -p local-api -- create-operator <email> [name]` creates the first operator
//! (password from `OPERATOR_PASSWORD` or standard input); with `--dynamodb-table <name>`
//! it writes to a deployed table instead (AWS credentials and region from the environment).
//! `cargo run -p local-api -- mail-retry` sends the pending mails that are due, as the
//! deployed schedule does every five minutes.
//! `cargo run -p local-api -- billing-run 2026-12` runs the billing of a month in-process,
//! as the deployed schedule, planner and worker do on the 1st.
//! `cargo run -p local-api -- cards-daily [YYYY-MM-DD]` releases and expires bonus points
//! for the day (today in Europe/Berlin by default), as the deployed daily schedule does.
//! `cargo run -p local-api -- referrals-daily [YYYY-MM-DD]` confirms the referral rewards whose
//! hold ended by that day (default today) and makes payable the cash rewards an issued invoice
//! billed, as the deployed nightly schedule does.
//! `cargo run -p local-api -- manager-digest [YYYY-MM-DD]` mails each platform manager what
//! waits on their platforms (default today), into the outbox, as the daily schedule does.

use std::io::BufRead;
use std::sync::Arc;

use anyhow::{Context, bail};
use shared::domain::{Email, Password};
use shared::store::{DynamoTable, SqliteTable, Table};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = local_api::LocalConfig::from_env()?;
    match args.first().map(String::as_str) {
        None | Some("serve") => serve(&config).await,
        Some("create-operator") => create_operator(&config, &args[1..]).await,
        Some("mail-retry") => mail_retry(&config).await,
        Some("billing-run") => billing_run(&config, args.get(1)).await,
        Some("cards-daily") => cards_daily(&config, args.get(1)).await,
        Some("referrals-daily") => referrals_daily(&config, args.get(1)).await,
        Some("manager-digest") => manager_digest(&config, args.get(1)).await,
        Some("openapi") => {
            println!("{}", local_api::openapi().to_pretty_json()?);
            Ok(())
        }
        Some(other) => bail!(
            "unknown command {other}; use `serve` (default), `create-operator <email> [name] [--dynamodb-table <name>]`, `mail-retry`, `billing-run <YYYY-MM>`, `cards-daily [YYYY-MM-DD]`, `referrals-daily [YYYY-MM-DD]`, `manager-digest [YYYY-MM-DD]` or `openapi`"
        ),
    }
}

async fn serve(config: &local_api::LocalConfig) -> anyhow::Result<()> {
    let ctrl_c = Box::pin(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    let running = local_api::start(config, Some(ctrl_c)).await?;
    println!("{}", local_api::describe(&running, config));
    running.wait().await
}

async fn mail_retry(config: &local_api::LocalConfig) -> anyhow::Result<()> {
    let style = indicatif::ProgressStyle::with_template("{spinner} {msg}: {pos}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
    let bar = indicatif::ProgressBar::new_spinner()
        .with_style(style)
        .with_message("pending mails handled");
    let clock = std::sync::Arc::new(shared::clock::SystemClock);
    let summary = local_api::mail_retry(config, clock, &mut |_| bar.inc(1)).await?;
    bar.finish_and_clear();
    println!("mail-retry: {summary}");
    Ok(())
}

async fn billing_run(
    config: &local_api::LocalConfig,
    month: Option<&String>,
) -> anyhow::Result<()> {
    let month = month.context("usage: billing-run <YYYY-MM>, e.g. billing-run 2026-12")?;
    let period = billing::Month::parse(month)
        .with_context(|| format!("{month} is not a month like 2026-12"))?;
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} {msg} [{bar:30}] {pos}/{len} Partner ({per_sec})",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    let bar = indicatif::ProgressBar::new(0)
        .with_style(style)
        .with_message(format!("Abrechnung {period}"));
    let summary = local_api::billing_run(config, period, &mut |progress| match progress {
        billing::runner::Progress::Planned(n) => bar.set_length(n),
        billing::runner::Progress::Partners(n) => bar.inc(n as u64),
    })
    .await?;
    bar.finish_and_clear();
    println!("{summary}");
    Ok(())
}

async fn manager_digest(
    config: &local_api::LocalConfig,
    day: Option<&String>,
) -> anyhow::Result<()> {
    let day = day
        .map(|day| {
            day.parse::<jiff::civil::Date>()
                .with_context(|| format!("{day} is no date (YYYY-MM-DD)"))
        })
        .transpose()?;
    let summary = local_api::manager_digest(config, day).await?;
    println!("manager-digest: {summary}");
    Ok(())
}

async fn cards_daily(config: &local_api::LocalConfig, day: Option<&String>) -> anyhow::Result<()> {
    use shared::clock::Clock;
    let day = match day {
        Some(day) => day
            .parse::<jiff::civil::Date>()
            .with_context(|| format!("{day} is no date (YYYY-MM-DD)"))?,
        None => shared::clock::SystemClock.today(),
    };
    let style = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    let bar = indicatif::ProgressBar::new(0)
        .with_style(style)
        .with_message("cards checked");
    let summary = local_api::cards_daily(config, day, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await?;
    bar.finish_and_clear();
    println!("cards-daily: {summary}");
    Ok(())
}

async fn referrals_daily(
    config: &local_api::LocalConfig,
    day: Option<&String>,
) -> anyhow::Result<()> {
    let day = day
        .map(|d| d.parse::<jiff::civil::Date>())
        .transpose()
        .context("the date must be YYYY-MM-DD")?;
    let style = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    let bar = indicatif::ProgressBar::new(0)
        .with_style(style)
        .with_message("rewards");
    let summary = local_api::referrals_daily(config, day, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .await?;
    bar.finish_and_clear();
    println!(
        "referrals-daily: {} due, {} confirmed, {} payable, {} skipped (changed meanwhile), {} failed",
        summary.due, summary.confirmed, summary.released, summary.skipped, summary.failed
    );
    if summary.failed > 0 {
        bail!(
            "{} rewards could not be confirmed or released",
            summary.failed
        );
    }
    Ok(())
}

async fn create_operator(config: &local_api::LocalConfig, args: &[String]) -> anyhow::Result<()> {
    let mut positional = Vec::new();
    let mut dynamo_table = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--dynamodb-table" {
            dynamo_table = Some(
                it.next()
                    .context("--dynamodb-table needs a table name")?
                    .clone(),
            );
        } else {
            positional.push(arg.clone());
        }
    }
    let email = positional
        .first()
        .context("usage: create-operator <email> [name]")?;
    let email = Email::parse(email).map_err(|m| anyhow::anyhow!("email {m}"))?;
    let name = positional
        .get(1)
        .cloned()
        .unwrap_or_else(|| "Betreiber".to_string());
    let password = match std::env::var("OPERATOR_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            eprintln!("Passwort für {email} (mindestens 10 Zeichen), dann Enter:");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let password = Password::parse(&password).map_err(|m| anyhow::anyhow!("password {m}"))?;
    let clock: shared::clock::SharedClock = Arc::new(shared::clock::SystemClock);
    let table: Arc<dyn Table> = match dynamo_table {
        Some(name) => {
            let sdk = shared::config::aws().await;
            Arc::new(DynamoTable::new(
                shared::config::dynamodb_client(&sdk),
                name,
                clock.clone(),
            ))
        }
        None => {
            std::fs::create_dir_all(&config.data_dir)?;
            Arc::new(SqliteTable::open(
                &local_api::database_path(&config.data_dir),
                clock.clone(),
            )?)
        }
    };
    let id = registration::operators::create_operator(
        table.as_ref(),
        clock.as_ref(),
        &email,
        &name,
        &password,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("operator {email} created (id {id}); log in with POST /auth/login");
    Ok(())
}
