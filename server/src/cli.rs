//! The command line: the commands, their options, and every setting (also read from the
//! environment), with the messages given when they are wrong.

use crate::config::Settings;
use crate::demo;
use clap::{CommandFactory, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "server",
    about = "User Provisioning: the User Sync Service and its dashboard"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the dashboard and run syncs (the default).
    Serve {
        /// Load the demo organisations, accounts and 90 days of runs if the database is
        /// empty, and keep a demo drop folder changing so new runs keep coming.
        #[arg(long)]
        demo: bool,
        #[command(flatten)]
        live_demo: demo::live::LiveDemo,
    },
    /// Run syncs only, without the dashboard (for more workers on one PostgreSQL).
    Worker {
        /// How many runs this process works on at once.
        #[arg(long, default_value_t = 1)]
        count: usize,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// Load the demo data into an empty database and exit.
    SeedDemo,
    /// Sync configurations: import from a TOML file, list.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Sync runs: queue now, cancel, list.
    #[command(subcommand)]
    Run(RunCommand),
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Create or update configurations from a TOML file (secrets as env:NAME or file:/path).
    Import { file: std::path::PathBuf },
    /// List configurations.
    List,
}

#[derive(Subcommand)]
pub enum RunCommand {
    /// Queue a run of a configuration now (by id, or "Organisation/Name").
    Queue { configuration: String },
    /// Cancel a queued run, or stop a running one at its next checkpoint.
    Cancel { run: i64 },
    /// List the latest runs.
    List {
        #[arg(long)]
        organisation: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u64,
    },
}

/// An error and its causes, each said once: drivers often repeat their cause in their own
/// message ("role \"u\" does not exist: role \"u\" does not exist").
pub fn causes(e: &anyhow::Error) -> String {
    let mut said: Vec<String> = Vec::new();
    for cause in e.chain().map(ToString::to_string) {
        if !said.iter().any(|s| s.contains(&cause)) {
            said.push(cause);
        }
    }
    said.join(": ")
}

/// The command line and the settings, or clap's message (with, where a value came from the
/// environment, the variable it came from) and exit.
pub fn parse_or_exit() -> Cli {
    Cli::try_parse().unwrap_or_else(|e| {
        let _ = e.print();
        if let Some(var) = variable_behind(&e) {
            eprintln!("(the value is {var}'s, from the environment)");
        }
        std::process::exit(e.exit_code())
    })
}

/// The environment variable that gave the value an error is about, unless the option was
/// given on the command line.
fn variable_behind(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let long = arg.split_whitespace().next()?.strip_prefix("--")?;
    if std::env::args().any(|a| a == format!("--{long}") || a.starts_with(&format!("--{long}="))) {
        return None;
    }
    let cli = Cli::command();
    let var = std::iter::once(&cli)
        .chain(cli.get_subcommands())
        .flat_map(|c| c.get_arguments())
        .find(|a| a.get_long() == Some(long))?
        .get_env()?
        .to_str()?
        .to_string();
    std::env::var_os(&var).is_some().then_some(var)
}
