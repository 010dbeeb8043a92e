//! The `firebell` command line: `serve`, `migrate`, `check-config`, `manifest`, `retro`, `report`
//! and `simulate`.
//!
//! Each subcommand reads the environment through `config::env`; on a problem (configuration,
//! arguments, database) it prints one clear line and exits non-zero.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::config::env::{LogFormat, process_env};
use crate::config::policy;
use crate::store::Store;

/// firebell — a Slack incident-response bot.
#[derive(Debug, Parser)]
#[command(name = "firebell", version, about, long_about = None)]
pub struct Cli {
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Commands,
}

/// The subcommands, one per variant (`firebell --help` lists them from these docs).
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Run the bot: HTTP endpoints and background workers. Applies pending migrations first.
    ///
    /// Needs SLACK_BOT_TOKEN, and SLACK_SIGNING_SECRET (HTTP mode: Slack posts to /slack/*)
    /// or SLACK_APP_TOKEN (Socket Mode: firebell connects out to Slack, no public URL needed).
    /// Optional: DATABASE_URL (default sqlite://firebell.db), FIREBELL_CONFIG, FIREBELL_LISTEN
    /// (default 0.0.0.0:3000; /webhooks/*, /healthz, /readyz and /metrics are served in both
    /// modes), SLACK_API_URL, SLACK_TEAM_ID, FIREBELL_WEBHOOK_TOKEN, RUST_LOG, FIREBELL_LOG_FORMAT.
    Serve(ServeArgs),
    /// Apply pending database migrations (DATABASE_URL) and exit.
    Migrate,
    /// Validate a policy file and print a short summary; exits non-zero with file, line and
    /// reason on error.
    CheckConfig {
        /// The policy file (default: FIREBELL_CONFIG, else ./firebell.toml, else built-in defaults).
        path: Option<PathBuf>,
    },
    /// Print the Slack app manifest with its request URLs pointed at `--url` (or, with
    /// `--socket-mode`, with Socket Mode on and no request URLs).
    Manifest(ManifestArgs),
    /// Print the retrospective of an incident (its number, like 42, or its channel name) as
    /// Markdown, from the database.
    Retro(RetroArgs),
    /// Print an incident report (a `[[reports]]` entry, default the first) rendered from the
    /// database, exactly as `/incident report` would publish it.
    Report(ReportArgs),
    /// Dry-run the policy: every reminder, escalation, nudge and digest an incident of this
    /// severity and duration would fire, in order, in the policy's time zone.
    Simulate(SimulateArgs),
    /// Print a one-time dashboard sign-in link (5 minutes, single use) for a Slack user, for
    /// when Slack itself is down. Needs FIREBELL_PUBLIC_URL and DATABASE_URL.
    LoginLink(LoginLinkArgs),
    /// Run the bot against a Slack stand-in embedded in the binary, with a page at /demo that
    /// shows a small workspace to act in: no Slack workspace, app or public URL needed. The
    /// database is SQLite in a fresh temporary directory (deleted on Ctrl-C) unless --database.
    Demo(DemoArgs),
}

/// `firebell demo` options.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where the bot and the page listen.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub listen: std::net::SocketAddr,
    /// The bot's language (and the page's): en or ko.
    #[arg(long, default_value = "en", value_parser = ["en", "ko"])]
    pub locale: String,
    /// Play a scripted SEV2 from alert to retrospective, about two minutes long.
    #[arg(long)]
    pub scenario: bool,
    /// Seconds between the scenario's steps.
    #[arg(long, default_value_t = 8.0, value_parser = pace)]
    pub pace: f64,
    /// A database to use (sqlite://PATH or postgres://…) instead of a fresh temporary one.
    #[arg(long)]
    pub database: Option<String>,
}

fn pace(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if (0.0..=600.0).contains(&seconds) => Ok(seconds),
        _ => Err(format!("{text}: expected seconds from 0 to 600")),
    }
}

/// `firebell login-link` options.
#[derive(Debug, clap::Args)]
pub struct LoginLinkArgs {
    /// The Slack user id to sign in as, e.g. U012ABCDEF.
    pub user: String,
}

/// `firebell serve` options.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// With SLACK_APP_TOKEN set, serve /slack/* as well as Socket Mode (needs
    /// SLACK_SIGNING_SECRET); useful while moving an install from one mode to the other.
    #[arg(long)]
    pub http: bool,
}

/// `firebell manifest` options.
#[derive(Debug, clap::Args)]
pub struct ManifestArgs {
    /// The public base URL where `firebell serve` is reachable, e.g. https://firebell.example.org
    #[arg(long, required_unless_present = "socket_mode")]
    pub url: Option<String>,
    /// Socket Mode: no request URLs, `socket_mode_enabled: true`.
    #[arg(long)]
    pub socket_mode: bool,
}

/// `firebell retro` options.
#[derive(Debug, clap::Args)]
pub struct RetroArgs {
    /// The incident: its number (42) or its channel name (inc-20261126-42-checkout-is-down).
    pub incident: String,
    /// Show people as their roles (the policy's `retro.blameless` decides by default).
    #[arg(long, conflicts_with = "named")]
    pub blameless: bool,
    /// Show people by their Slack user id instead of their role.
    #[arg(long)]
    pub named: bool,
}

/// `firebell report` options.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The incident: its number (42) or its channel name (inc-20261126-42-checkout-is-down).
    pub incident: String,
    /// The report, as the policy's `[[reports]]` names it (default: the first).
    #[arg(long, conflicts_with = "template")]
    pub name: Option<String>,
    /// Render this template file instead (to try a template against a real incident).
    #[arg(long)]
    pub template: Option<PathBuf>,
    /// Show people's names (Slack user ids) even when the policy's `retro.blameless` is on.
    #[arg(long)]
    pub named: bool,
}

/// `firebell simulate` options.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The severity, as the policy names it (e.g. SEV2).
    #[arg(long)]
    pub severity: String,
    /// From declaration to resolution, e.g. 3h or 90m.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: std::time::Duration,
    /// When it is declared, in the policy's time zone, e.g. 2026-11-25T23:00 (default: now).
    #[arg(long)]
    pub start: Option<String>,
    /// Nobody posts an update (the default).
    #[arg(long, conflicts_with = "update_every")]
    pub no_updates: bool,
    /// Someone posts an update this often, e.g. 40m.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub update_every: Option<std::time::Duration>,
    /// The policy file (default: FIREBELL_CONFIG, else ./firebell.toml, else built-in defaults).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Parses the arguments and runs the chosen command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = process_env();
    let common = match env.common() {
        Ok(common) => common,
        Err(error) => return fail(&error.to_string()),
    };
    // The demo is for people trying firebell: its address matters more than its start-up log.
    let default_log = if matches!(cli.command, Commands::Demo(_)) { "warn" } else { "info" };
    init_logging(common.log_format, default_log);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => return fail(&format!("cannot start the async runtime: {error}")),
    };
    match cli.command {
        Commands::Serve(args) => {
            let settings = match env.serve_with(args.http) {
                Ok(settings) => settings,
                Err(error) => return fail(&error.to_string()),
            };
            runtime.block_on(async {
                let shutdown = CancellationToken::new();
                tokio::spawn(cancel_on_signal(shutdown.clone()));
                match crate::serve::run(settings, shutdown).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(error) => fail(&format!("{error:#}")),
                }
            })
        }
        Commands::Migrate => runtime.block_on(async {
            let result = async {
                let store = Store::connect(&common.database_url).await?;
                let applied = store.migrate().await?;
                store.close().await;
                anyhow::Ok(applied)
            }
            .await;
            match result {
                Ok(applied) => {
                    println!("{}: {applied} migration(s) applied", common.database_url.describe());
                    ExitCode::SUCCESS
                }
                Err(error) => fail(&format!("{error:#}")),
            }
        }),
        Commands::CheckConfig { path } => {
            let explicit = path.or(common.config_path);
            match policy::load(policy::locate(explicit.as_deref()).as_deref()) {
                Ok(loaded) => {
                    println!("{}", policy::summary(&loaded));
                    println!("ok");
                    ExitCode::SUCCESS
                }
                Err(error) => fail(&error.to_string()),
            }
        }
        Commands::Retro(args) => printed(runtime.block_on(retro(&args, &common))),
        Commands::LoginLink(args) => printed(runtime.block_on(login_link(&args, &common))),
        Commands::Report(args) => printed(runtime.block_on(report(&args, &common))),
        Commands::Manifest(args) => match crate::manifest::render(args.url.as_deref(), args.socket_mode) {
            Ok(manifest) => {
                print!("{manifest}");
                ExitCode::SUCCESS
            }
            Err(error) => fail(&error),
        },
        Commands::Demo(args) => runtime.block_on(async {
            let options = crate::demo::Options {
                listen: args.listen,
                korean: args.locale == "ko",
                scenario: args.scenario.then(|| std::time::Duration::from_secs_f64(args.pace)),
                database: args.database,
            };
            let shutdown = CancellationToken::new();
            tokio::spawn(cancel_on_signal(shutdown.clone()));
            match crate::demo::run(options, shutdown).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => fail(&format!("{error:#}")),
            }
        }),
        Commands::Simulate(args) => match simulate(&args, common.config_path) {
            Ok(output) => {
                println!("{output}");
                ExitCode::SUCCESS
            }
            Err(error) => fail(&error),
        },
    }
}

/// Prints a document, or fails with its one-line error.
fn printed(document: Result<String, String>) -> ExitCode {
    match document {
        Ok(markdown) => {
            print!("{markdown}");
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error),
    }
}

/// The database, migrated, and the incident `reference` names in it.
async fn incident_in_database(
    common: &crate::config::env::CommonSettings,
    reference: &str,
) -> Result<(Store, crate::domain::incident::Incident), String> {
    let store = Store::connect(&common.database_url).await.map_err(|e| format!("{e:#}"))?;
    store.migrate().await.map_err(|e| format!("{e:#}"))?;
    let incident = crate::app::retro::find_incident(&store, reference)
        .await
        .map_err(|e| format!("{e:#}"))?
        .ok_or_else(|| format!("{reference}: no such incident; expected its number or its channel name"))?;
    Ok((store, incident))
}

/// Makes a one-time dashboard sign-in link.
async fn login_link(args: &LoginLinkArgs, common: &crate::config::env::CommonSettings) -> Result<String, String> {
    let user = crate::domain::ids::UserId::parse(args.user.trim())
        .ok_or_else(|| format!("{}: not a Slack user id; expected one like U012ABCDEF", args.user))?;
    let public_url = std::env::var("FIREBELL_PUBLIC_URL")
        .ok()
        .map(|url| url.trim().trim_end_matches('/').to_owned())
        .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
        .ok_or_else(|| "FIREBELL_PUBLIC_URL: unset or not an http(s) URL; the dashboard is served there".to_owned())?;
    let store = Store::connect(&common.database_url).await.map_err(|e| format!("{e:#}"))?;
    store.migrate().await.map_err(|e| format!("{e:#}"))?;
    let link = crate::app::dashboard::login_link(&store, chrono::Utc::now(), &public_url, &user)
        .await
        .map_err(|e| format!("{e:#}"))?;
    store.close().await;
    Ok(format!("{link}\n"))
}

/// Builds an incident's retrospective from the database.
async fn retro(args: &RetroArgs, common: &crate::config::env::CommonSettings) -> Result<String, String> {
    let loaded = policy::load(policy::locate(common.config_path.as_deref()).as_deref()).map_err(|e| e.to_string())?;
    let (store, incident) = incident_in_database(common, &args.incident).await?;
    let blameless = if args.named { false } else { args.blameless || loaded.policy.retro.blameless };
    let names = std::collections::HashMap::new();
    let retro = crate::app::retro::build(&store, &loaded.policy, &incident, blameless, &names)
        .await
        .map_err(|e| format!("{e:#}"))?;
    store.close().await;
    Ok(crate::render::retro::markdown(&retro, &loaded.policy))
}

/// Renders an incident's report from the database.
async fn report(args: &ReportArgs, common: &crate::config::env::CommonSettings) -> Result<String, String> {
    let loaded = policy::load(policy::locate(common.config_path.as_deref()).as_deref()).map_err(|e| e.to_string())?;
    let policy = &loaded.policy;
    let spec = policy.report(args.name.as_deref()).ok_or_else(|| {
        let names: Vec<&str> = policy.reports.iter().map(|r| r.name.as_str()).collect();
        format!(
            "{}: no such report; the policy's reports: {}",
            args.name.as_deref().unwrap_or_default(),
            names.join(", ")
        )
    })?;
    let template = match &args.template {
        Some(path) => {
            Some(crate::report::Template::from_file(path, &path.display().to_string()).map_err(|e| format!("{e:#}"))?)
        }
        None => None,
    };
    let (store, incident) = incident_in_database(common, &args.incident).await?;
    let published = store.report(incident.id, &spec.name).await.map_err(|e| format!("{e:#}"))?;
    let names = std::collections::HashMap::new();
    let rendering = crate::app::report::Rendering {
        spec,
        template: template.as_ref(),
        final_: published.is_some_and(|p| p.final_),
        blameless: policy.retro.blameless && !args.named,
        names: &names,
        now: chrono::Utc::now(),
    };
    let rendered =
        crate::app::report::render(&store, policy, &incident, &rendering).await.map_err(|e| format!("{e:#}"))?;
    store.close().await;
    rendered.map_err(|e| e.to_string())
}

/// Runs the dry run and returns what to print, or a one-line error.
fn simulate(args: &SimulateArgs, config: Option<PathBuf>) -> Result<String, String> {
    let explicit = args.config.clone().or(config);
    let loaded = policy::load(policy::locate(explicit.as_deref()).as_deref()).map_err(|e| e.to_string())?;
    let policy = loaded.policy;
    let severity = policy.severity(&args.severity).map(|s| s.name.clone()).ok_or_else(|| {
        format!(
            "--severity {}: not in the policy; expected one of {}",
            args.severity,
            policy.severity_names().join(", ")
        )
    })?;
    let start = match &args.start {
        None => chrono::Utc::now(),
        Some(text) => {
            let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
                .map_err(|_| format!("--start {text}: expected YYYY-MM-DDTHH:MM in {}", policy.timezone))?;
            local
                .and_local_timezone(policy.timezone)
                .earliest()
                .ok_or_else(|| format!("--start {text}: that time does not exist in {}", policy.timezone))?
                .with_timezone(&chrono::Utc)
        }
    };
    let scenario = crate::domain::simulate::Scenario {
        severity,
        start,
        duration: args.duration,
        updates_every: if args.no_updates { None } else { args.update_every },
    };
    let firings = crate::domain::simulate::simulate(&policy, &scenario);
    Ok(crate::render::simulate::run(&policy, &scenario, &firings))
}

fn fail(message: &str) -> ExitCode {
    eprintln!("firebell: {message}");
    ExitCode::FAILURE
}

/// Logs at `default` unless `RUST_LOG` says otherwise.
fn init_logging(format: LogFormat, default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Fires `shutdown` on SIGINT or SIGTERM.
async fn cancel_on_signal(shutdown: CancellationToken) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
    shutdown.cancel();
}
