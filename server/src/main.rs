use anyhow::Context;
use clap::Parser;
use leptos::prelude::*;
use server::cli::{causes, parse_or_exit, Cli, Command, ConfigCommand, RunCommand};
use server::config::{Settings, Workers};
use server::sync::{engine::now_ms, queue, worker};
use server::{
    alerts, config::redact_url, db, demo, http::startup, operator, store::SeaStore, telemetry,
};
use std::time::Duration;
use tokio::sync::watch;

#[tokio::main]
async fn main() {
    let cli = parse_or_exit();
    telemetry::init(cli.settings.web.log_format);
    if let Err(e) = run(cli).await {
        // With its causes: "database: unable to open database file".
        let said = causes(&e);
        tracing::error!("{said}");
        eprintln!("error: {said}");
        std::process::exit(1);
    }
}

/// What `serve` and `worker` need beside the database, checked before it is opened.
struct Prepared {
    /// The site's options (`serve` only).
    site: Option<LeptosOptions>,
    alerts: alerts::AlertSettings,
    senders: alerts::deliver::Senders,
}

impl Prepared {
    fn for_command(command: &Command, settings: &Settings) -> anyhow::Result<Option<Prepared>> {
        let site = match command {
            Command::Serve { .. } => {
                let conf = get_configuration(None)
                    .context("the site's settings (LEPTOS_* variables such as LEPTOS_SITE_ADDR)")?;
                let mut options = conf.leptos_options;
                server::http::assets::use_hashed_names(&mut options);
                if let Some(addr) = settings.addr {
                    options.site_addr = addr;
                }
                Some(options)
            }
            Command::Worker { .. } => None,
            _ => return Ok(None),
        };
        let addr = site
            .as_ref()
            .map(|o| o.site_addr)
            .or(settings.addr)
            .map_or_else(|| "127.0.0.1:3000".to_string(), |a| a.to_string());
        let alerts = alerts::AlertSettings::new(&settings.alerts, &addr)?;
        let senders = alerts::worker::senders(&alerts)?;
        Ok(Some(Prepared {
            site,
            alerts,
            senders,
        }))
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings;
    settings.check()?;
    let command = match cli.command {
        Some(command) => command,
        // No command serves, with the settings the environment gives.
        None => Cli::try_parse_from(["server", "serve"])?
            .command
            .context("serve is a command")?,
    };
    // Every setting is checked before the database is opened.
    let prepared = Prepared::for_command(&command, &settings)?;
    let url = &settings.database_url;
    tracing::info!(database = %redact_url(url), "opening database");
    let conn = db::connect_with(url, settings.pool())
        .await
        // The driver's message may repeat the URL, password and all.
        .map_err(|e| anyhow::anyhow!("{}", e.to_string().replace(url.as_str(), &redact_url(url))))
        .context("the database (DATABASE_URL)")?;
    match command {
        Command::Migrate => Ok(()),
        Command::SeedDemo => seed(&conn).await,
        Command::Serve { demo, live_demo } => {
            if demo {
                seed(&conn).await?;
                demo::live::start(&conn, &live_demo)
                    .await
                    .context("demo drop folder")?;
            }
            serve(settings, conn, prepared.context("serve is prepared")?).await
        }
        Command::Worker { count } => {
            work(
                &settings,
                conn,
                count,
                prepared.context("a worker is prepared")?,
            )
            .await
        }
        Command::Config(config) => configurations(&conn, config).await,
        Command::Run(run) => runs(&conn, run).await,
    }
}

/// `worker`: runs syncs and alerts until a shutdown signal.
async fn work(
    settings: &Settings,
    conn: sea_orm::DatabaseConnection,
    count: usize,
    prepared: Prepared,
) -> anyhow::Result<()> {
    let Prepared {
        alerts, senders, ..
    } = prepared;
    let (stop, stopped) = watch::channel(false);
    let mut handles = spawn_workers(&conn, &settings.workers, count.max(1), stopped.clone());
    handles.push(spawn_alerts(&conn, alerts, senders, stopped));
    shutdown_signal().await;
    let _ = stop.send(true);
    for h in handles {
        let _ = h.await;
    }
    Ok(())
}

/// `config import` and `config list`.
async fn configurations(
    conn: &sea_orm::DatabaseConnection,
    command: ConfigCommand,
) -> anyhow::Result<()> {
    match command {
        ConfigCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let s = operator::import_configurations(conn, &text, now_ms()).await?;
            for c in &s.created {
                println!("created  {c}");
            }
            for u in &s.updated {
                println!("updated  {u}");
            }
            for w in &s.webhooks {
                println!("webhook  {w}");
            }
        }
        ConfigCommand::List => print!("{}", operator::list_configurations(conn).await?),
    }
    Ok(())
}

/// `run queue`, `run cancel` and `run list`.
async fn runs(conn: &sea_orm::DatabaseConnection, command: RunCommand) -> anyhow::Result<()> {
    match command {
        RunCommand::Queue { configuration } => {
            let c = operator::find_configuration(conn, &configuration).await?;
            let id = queue::queue_now(conn, c.id, now_ms()).await?;
            println!("queued run #{id} of \"{}\"", c.name);
        }
        RunCommand::Cancel { run } => match queue::cancel(conn, run, now_ms()).await? {
            app::domain::RunStatus::Cancelled => println!("run #{run} cancelled"),
            _ => println!(
                "run #{run} is running: it stops before applying any change (a run already applying its changes finishes)"
            ),
        },
        RunCommand::List {
            organisation,
            limit,
        } => print!(
            "{}",
            operator::list_runs(conn, organisation.as_deref(), limit.clamp(1, 1000)).await?
        ),
    }
    Ok(())
}

fn spawn_workers(
    conn: &sea_orm::DatabaseConnection,
    w: &Workers,
    count: usize,
    stopped: watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..count)
        .map(|i| {
            let mut options = worker::WorkerOptions::new(worker::worker_id(i));
            options.idle_poll = Duration::from_millis(w.poll_ms);
            options.stale_after = Duration::from_secs(w.stale_secs);
            options.shutdown_grace = Duration::from_secs(w.shutdown_grace_secs);
            options.engine.heartbeat_every = Duration::from_millis(w.heartbeat_ms);
            options.engine.pause_in_apply = w.pause_in_apply_ms.map(Duration::from_millis);
            tokio::spawn(worker::run(conn.clone(), options, stopped.clone()))
        })
        .collect()
}

/// The alert worker of this process: it places alert events and sends what is due.
fn spawn_alerts(
    conn: &sea_orm::DatabaseConnection,
    settings: alerts::AlertSettings,
    senders: alerts::deliver::Senders,
    stopped: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let owner = format!("{}-alerts", worker::worker_id(0));
    tokio::spawn(alerts::worker::run(
        conn.clone(),
        settings,
        senders,
        owner,
        stopped,
    ))
}

async fn seed(conn: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    match demo::seed(conn, &demo::DemoSize::full(), chrono::Utc::now())
        .await
        .context("demo data")?
    {
        true => tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "demo data loaded"
        ),
        false => tracing::info!("database already has data; demo data not loaded"),
    }
    Ok(())
}

/// How long requests in flight may go on after a shutdown signal.
const REQUEST_GRACE: Duration = Duration::from_secs(10);

async fn serve(
    settings: Settings,
    conn: sea_orm::DatabaseConnection,
    prepared: Prepared,
) -> anyhow::Result<()> {
    let Prepared {
        site,
        alerts,
        senders,
    } = prepared;
    let options = site.context("serve has the site's options")?;
    let addr = options.site_addr;
    let email = alerts.smtp.is_some();
    let (stop, stopped) = watch::channel(false);
    let mut workers = spawn_workers(
        &conn,
        &settings.workers,
        settings.workers.in_server,
        stopped.clone(),
    );
    workers.push(spawn_alerts(&conn, alerts, senders, stopped));
    let app = startup::router_with(
        SeaStore::new(conn).with_email_alerts(email).into_stores(),
        options,
        &settings.web,
    );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!("listening on http://{addr}");
    // On the signal, workers stop claiming and start their grace at once, while the
    // requests in flight finish.
    let mut signalled = stop.subscribe();
    let serving =
        axum::serve(listener, app.into_make_service()).with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = stop.send(true);
        });
    // Requests get a bounded grace: a client that never finishes sending its request (or
    // never reads its answer) would otherwise hold the process up for ever.
    let served = tokio::select! {
        served = serving => served.context("server"),
        _ = async {
            let _ = signalled.wait_for(|stopped| *stopped).await;
            tokio::time::sleep(REQUEST_GRACE).await;
        } => {
            tracing::warn!(grace_secs = REQUEST_GRACE.as_secs(), "requests still open after the grace; closing them");
            Ok(())
        }
    };
    for w in workers {
        let _ = w.await;
    }
    served
}

/// Ctrl-C or SIGTERM: stop taking requests and let the ones in flight finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
