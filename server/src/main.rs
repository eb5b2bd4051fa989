use clap::{Parser, Subcommand};
use leptos::prelude::*;
use server::{config::Settings, db, demo, startup, store::SeaStore, telemetry};

#[derive(Parser)]
#[command(
    name = "server",
    about = "User Provisioning: the User Sync Service and its dashboard"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the dashboard (the default).
    Serve {
        /// Load the demo organisations, accounts and 90 days of runs if the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// Load the demo data into an empty database and exit.
    SeedDemo,
}

#[tokio::main]
async fn main() {
    telemetry::init();
    if let Err(e) = run(Cli::parse()).await {
        tracing::error!("{e}");
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let settings = Settings::from_env()?;
    tracing::info!(database = %server::config::redact_url(&settings.database_url), "opening database");
    let conn = db::connect(&settings.database_url)
        .await
        .map_err(|e| format!("database: {e}"))?;
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Migrate => Ok(()),
        Command::SeedDemo => seed(&conn).await,
        Command::Serve { demo } => {
            if demo {
                seed(&conn).await?;
            }
            serve(settings, conn).await
        }
    }
}

async fn seed(conn: &sea_orm::DatabaseConnection) -> Result<(), String> {
    let started = std::time::Instant::now();
    match demo::seed(conn, &demo::DemoSize::full(), chrono::Utc::now())
        .await
        .map_err(|e| format!("demo data: {e}"))?
    {
        true => tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "demo data loaded"
        ),
        false => tracing::info!("database already has data; demo data not loaded"),
    }
    Ok(())
}

async fn serve(settings: Settings, conn: sea_orm::DatabaseConnection) -> Result<(), String> {
    let conf = get_configuration(None).map_err(|e| format!("leptos configuration: {e}"))?;
    let mut options = conf.leptos_options;
    if let Some(addr) = settings.addr {
        options.site_addr = addr;
    }
    let addr = options.site_addr;
    let app = startup::router(SeaStore::new(conn).into_stores(), options);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!("listening on http://{addr}");
    axum::serve(listener, app.into_make_service())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("server: {e}"))
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
