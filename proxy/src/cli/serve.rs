//! `hashwall serve`: run the filtering proxy.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use hashwall_proxy::serve::{self, config::Config};

/// `hashwall serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A TOML configuration file, laid over the embedded default (without
    /// it: the proxy on 127.0.0.1:3128, loopback clients only, the built-in
    /// demo list, the admin API on 127.0.0.1:9128 and the matching API for
    /// hosting providers on 127.0.0.1:9129).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Check the configuration (and load the lists and the stop page), print
    /// a summary, and exit: 0 if valid, 2 if not.
    #[arg(long)]
    pub check_config: bool,
    /// Print the embedded default configuration and exit.
    #[arg(long)]
    pub print_default_config: bool,
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How log events are written (to stderr).
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per event.
    Json,
}

/// Runs `serve`.
pub fn run(args: &ServeArgs) -> ExitCode {
    if args.print_default_config {
        print!("{}", serve::config::DEFAULT_CONFIG);
        return ExitCode::SUCCESS;
    }
    let config = match &args.config {
        Some(p) => Config::read_file(p),
        None => Ok(Config::default_config()),
    };
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error\tconfig: {e}");
            return ExitCode::from(2);
        }
    };
    if args.check_config {
        return check(&config);
    }
    let level = serve::config::tracing_level(&config.log.level).unwrap_or(tracing::Level::INFO);
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in log files.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match args.log_format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.init(),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error\tcannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(serve::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "cannot serve");
            eprintln!("error\t{e}");
            ExitCode::from(2)
        }
    }
}

/// `--check-config`: everything `serve` would load at start, without
/// binding or fetching. A subscription whose local copy does not exist yet
/// is no error (`serve` fetches it at start): it is reported on a `pending`
/// line.
fn check(config: &Config) -> ExitCode {
    if let Err(e) = serve::stop_page::StopPage::load(&config.stop_page) {
        eprintln!("error\t{e}");
        return ExitCode::from(2);
    }
    if config.api.enabled
        && let Some(p) = &config.api.token_file
        && let Err(e) = serve::api::auth::Tokens::from_file(p)
    {
        eprintln!("error\t{e}");
        return ExitCode::from(2);
    }
    let sources = match serve::lists::sources_from_config(&config.list, &config.trust) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error\tlists: {e}");
            return ExitCode::from(2);
        }
    };
    match serve::lists::check_at_start(&sources, config.lists.state.as_deref()) {
        Ok(checked) => {
            let snapshot = &checked.snapshot;
            println!(
                "ok\tproxy={} admin={} lists={} api={}",
                if config.proxy.enabled {
                    config.proxy.listen.to_string()
                } else {
                    "off".to_owned()
                },
                if config.admin.enabled {
                    config.admin.listen.to_string()
                } else {
                    "off".to_owned()
                },
                snapshot.lists().len(),
                if config.api.enabled {
                    config.api.listen.to_string()
                } else {
                    "off".to_owned()
                },
            );
            for l in snapshot.lists() {
                println!(
                    "list\t{}\tsequence={}\tentries={}\tpolicy={}",
                    l.id(),
                    l.sequence(),
                    l.entries(),
                    l.policy()
                );
            }
            for (source, why) in &checked.absent {
                println!("pending\t{source}\t{why}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error\tlists: {e}");
            ExitCode::from(2)
        }
    }
}
