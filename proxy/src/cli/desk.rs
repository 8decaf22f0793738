//! `hashwall desk`: the reporting desk (web pages, JSON API, retention),
//! and `hashwall desk user add` / `desk stats` / `desk retention` for the
//! operator at a shell. All logic is in the `hashwall-desk` crate.

use std::io::{BufRead as _, IsTerminal as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use hashwall_desk::model::Role;
use hashwall_desk::stats::{Period, StatsQuery};
use hashwall_desk::{Desk, DeskConfig};
use serde::Deserialize;

/// How often the retention rules run while the desk serves.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);

/// `hashwall desk`
#[derive(Debug, Args)]
pub struct DeskArgs {
    /// TOML configuration (a `[desk]` table); without it the desk serves
    /// on 127.0.0.1:8090 with its data in ./desk-data/.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<DeskCommand>,
}

/// `hashwall desk …`
#[derive(Debug, Subcommand)]
pub enum DeskCommand {
    /// Serve the report form, the analysts' pages and the JSON API.
    Serve,
    /// Staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Print statistics on alerts (JSON, or CSV with --csv).
    Stats(StatsArgs),
    /// Apply the retention rules once (serve does it hourly).
    Retention,
    /// Print the default configuration.
    DefaultConfig,
}

/// `hashwall desk user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; reads the password from standard input (one
    /// line) and prints the account's API token.
    Add {
        /// The account name.
        name: String,
        /// analyst or supervisor.
        #[arg(long, default_value = "analyst")]
        role: String,
    },
}

/// `hashwall desk stats`
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// day, week or month.
    #[arg(long, default_value = "month")]
    pub by: String,
    /// From (RFC 3339).
    #[arg(long)]
    pub from: Option<String>,
    /// To (RFC 3339, exclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// CSV instead of JSON.
    #[arg(long)]
    pub csv: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    desk: DeskConfig,
}

/// The default configuration, as `desk default-config` prints it.
pub const DEFAULT_CONFIG: &str = include_str!("desk_default.toml");

fn config(path: Option<&PathBuf>) -> Result<DeskConfig, String> {
    let text = match path {
        Some(p) => std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?,
        None => DEFAULT_CONFIG.to_owned(),
    };
    let mut config = toml::from_str::<File>(&text)
        .map(|f| f.desk)
        .map_err(|e| format!("configuration: {e}"))?;
    if path.is_none() && config.geoip.as_ref().is_some_and(|p| !p.exists()) {
        eprintln!(
            "note: no IP-to-country table (apt-get install tor-geoipdb); countries stay unknown"
        );
        config.geoip = None;
        config.geoip6 = None;
    }
    Ok(config)
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// Runs `hashwall desk`.
pub fn run(args: &DeskArgs) -> ExitCode {
    if matches!(args.command, Some(DeskCommand::DefaultConfig)) {
        print!("{DEFAULT_CONFIG}");
        return ExitCode::SUCCESS;
    }
    let config = match config(args.config.as_ref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(format!("starting the runtime: {e}")),
    };
    let result = runtime.block_on(async {
        match &args.command {
            None | Some(DeskCommand::Serve) => serve(config, args.config.as_ref()).await,
            Some(DeskCommand::User(UserCommand::Add { name, role })) => {
                add_user(config, name, role).await
            }
            Some(DeskCommand::Stats(s)) => stats(config, s).await,
            Some(DeskCommand::Retention) => {
                let desk = Desk::open(&config).await.map_err(|e| e.to_string())?;
                let done = desk.retention().await.map_err(|e| e.to_string())?;
                println!(
                    "{} e-mail address(es) deleted, {} report(s) anonymised",
                    done.emails_deleted, done.reports_anonymised
                );
                Ok(())
            }
            Some(DeskCommand::DefaultConfig) => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

async fn add_user(config: DeskConfig, name: &str, role: &str) -> Result<(), String> {
    let role: Role = role
        .parse()
        .map_err(|e: hashwall_desk::Error| e.to_string())?;
    if std::io::stdin().is_terminal() {
        eprint!("password for {name} (at least 12 characters, echoed): ");
    }
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .map_err(|e| format!("reading the password: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']);
    let desk = Desk::open(&config).await.map_err(|e| e.to_string())?;
    let token = desk
        .add_user(name, role, password)
        .await
        .map_err(|e| e.to_string())?;
    eprintln!("created {name} ({role}); API token (shown once):");
    println!("{token}");
    Ok(())
}

async fn stats(config: DeskConfig, args: &StatsArgs) -> Result<(), String> {
    let time = |s: &Option<String>| {
        s.as_deref()
            .map(str::parse::<hashwall_lists::Timestamp>)
            .transpose()
            .map_err(|e| e.to_string())
    };
    let query = StatsQuery {
        from: time(&args.from)?,
        to: time(&args.to)?,
        by: args.by.parse::<Period>().map_err(|e| e.to_string())?,
    };
    let desk = Desk::open(&config).await.map_err(|e| e.to_string())?;
    let stats = desk.stats(&query).await.map_err(|e| e.to_string())?;
    if args.csv {
        print!("{}", stats.to_csv());
    } else {
        let json = serde_json::to_string_pretty(&stats).map_err(|e| e.to_string())?;
        println!("{json}");
    }
    Ok(())
}

async fn serve(config: DeskConfig, config_path: Option<&PathBuf>) -> Result<(), String> {
    let config_flag = config_path.map_or(String::new(), |p| format!(" --config {}", p.display()));
    let desk = Desk::open(&config).await.map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("listening on {}: {e}", config.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!(
        "hashwall desk: serving on http://{local}/ ({:?} database, data in {}, publication in {})",
        desk.backend(),
        config.data_dir.display(),
        config.publication_dir().display()
    );
    if desk.user_count().await.map_err(|e| e.to_string())? == 0 {
        eprintln!(
            "no staff accounts yet: create the first with\n  echo 'A LONG PASSPHRASE' | hashwall desk{} user add NAME --role supervisor",
            config_flag
        );
    }
    let retention = {
        let desk = desk.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(RETENTION_EVERY);
            loop {
                tick.tick().await;
                if let Err(e) = desk.retention().await {
                    eprintln!("warning: retention: {e}");
                }
            }
        })
    };
    #[cfg(unix)]
    let shutdown = {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())
            .map_err(|e| format!("cannot listen for SIGTERM: {e}"))?;
        async move {
            tokio::select! {
                _ = term.recv() => eprintln!("SIGTERM: stopping"),
                _ = tokio::signal::ctrl_c() => eprintln!("SIGINT: stopping"),
            }
        }
    };
    #[cfg(not(unix))]
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let served = hashwall_desk::web::serve(
        listener,
        desk,
        hashwall_desk::web::WebOptions::from_config(&config),
        shutdown,
    )
    .await
    .map_err(|e| e.to_string());
    retention.abort();
    served
}
