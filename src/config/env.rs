//! The environment, read and validated in one place.
//!
//! Every variable the contract names is read here and nowhere else. A missing or malformed
//! value is a [`EnvError`] whose one-line message names the variable and what is expected.
//! Secrets are wrapped in [`SecretString`] so they cannot reach a log by accident.

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

use crate::domain::ids::TeamId;

/// The default Slack Web API base URL.
pub const SLACK_API_URL: &str = "https://slack.com/api/";
/// The default database: a SQLite file in the working directory, created when missing.
pub const DATABASE_URL: &str = "sqlite://firebell.db";
/// The default listen address.
pub const LISTEN: &str = "0.0.0.0:3000";
/// How long finished outbox jobs and Slack event delivery records are kept, by default.
pub const DEFAULT_RETENTION: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);
/// The shortest retention accepted: a day, well past Slack's retry window for events.
pub const MIN_RETENTION: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
/// How many outbox jobs one process runs at once, by default.
pub const DEFAULT_OUTBOX_CONCURRENCY: usize = 4;
/// The most outbox jobs one process may run at once.
pub const MAX_OUTBOX_CONCURRENCY: usize = 64;
/// The default outbox job lease: renewed by the running worker every quarter of it, so it
/// bounds how long a dead worker's job waits for another, not how long a job may run.
pub const DEFAULT_JOB_LEASE: std::time::Duration = std::time::Duration::from_secs(3);

/// A variable that is missing or malformed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {problem}")]
pub struct EnvError {
    pub var: &'static str,
    pub problem: String,
}

fn error(var: &'static str, problem: impl Into<String>) -> EnvError {
    EnvError { var, problem: problem.into() }
}

/// Which database a `DATABASE_URL` names.
#[derive(Clone, Debug)]
pub enum DatabaseUrl {
    /// `sqlite://PATH`; the file is created when missing.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…` (kept secret: it may hold a password).
    Postgres(SecretString),
}

impl DatabaseUrl {
    /// Parses `sqlite://PATH`, `sqlite:PATH`, `postgres://…` or `postgresql://…`.
    pub fn parse(url: &str) -> Result<DatabaseUrl, EnvError> {
        let url = url.trim();
        if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(error("DATABASE_URL", "expected sqlite://PATH with a file path"));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(SecretString::from(url.to_owned())));
        }
        let scheme = url.split_once(':').map_or(url, |(scheme, _)| scheme);
        Err(error("DATABASE_URL", format!("unknown scheme \"{scheme}\"; expected sqlite://PATH or postgres://…")))
    }

    /// A description safe to log: the SQLite path, or "PostgreSQL" without credentials.
    pub fn describe(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("SQLite {}", path.display()),
            DatabaseUrl::Postgres(_) => "PostgreSQL".to_owned(),
        }
    }

    /// The URL sqlx connects with.
    pub fn connect_url(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}?mode=rwc", path.display()),
            DatabaseUrl::Postgres(url) => url.expose_secret().to_owned(),
        }
    }
}

/// Log line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Settings that every command shares (the database and the policy file).
#[derive(Clone, Debug)]
pub struct CommonSettings {
    pub database_url: DatabaseUrl,
    /// `FIREBELL_CONFIG`, when set.
    pub config_path: Option<PathBuf>,
    pub log_format: LogFormat,
}

/// Everything `serve` needs.
#[derive(Clone, Debug)]
pub struct ServeSettings {
    pub common: CommonSettings,
    pub bot_token: SecretString,
    /// Verifies `/slack/*`; `None` in Socket Mode without `--http`, where those routes are
    /// not served at all.
    pub signing_secret: Option<SecretString>,
    /// `SLACK_APP_TOKEN` (`xapp-…`): Slack traffic arrives over Socket Mode.
    pub app_token: Option<SecretString>,
    pub slack_api_url: String,
    pub team_id: Option<TeamId>,
    pub listen: SocketAddr,
    pub webhook_token: Option<SecretString>,
    /// `FIREBELL_API_TOKEN`: the bearer token `/api/*` require; unset, the API is off (503).
    pub api_token: Option<SecretString>,
    /// `FIREBELL_PUBLIC_URL`: this firebell's public base URL (`https://firebell.acme.io`,
    /// without a trailing `/`); dashboard links are made from it. Unset, the dashboard is off.
    pub public_url: Option<String>,
    /// How long a claimed outbox job stays its worker's without a heartbeat
    /// (`FIREBELL_JOB_LEASE`, default 3s). The worker renews it every quarter lease while the
    /// job runs, so a slow job keeps it; a dead worker's job is taken over when it runs out.
    pub job_lease: std::time::Duration,
    /// How many outbox jobs run at once (`FIREBELL_OUTBOX_CONCURRENCY`, default 4, 1–64);
    /// jobs of one incident still run one at a time.
    pub outbox_concurrency: usize,
    /// How long finished outbox jobs and event delivery records are kept
    /// (`FIREBELL_RETENTION`, default 30d, at least 1d). Incidents and their records are kept.
    pub retention: std::time::Duration,
    /// Whether calls to Slack are paced to its published limits (`FIREBELL_SLACK_PACING`,
    /// `slack` by default; `off` sends as fast as jobs run and relies on Slack's 429s alone).
    pub slack_pacing: bool,
    /// The external pagers' keys and base URLs (used when the policy turns them on).
    pub pagers: PagerSettings,
    /// Startup warnings worth logging (e.g. a bot token without the `xoxb-` prefix).
    pub warnings: Vec<String>,
}

/// `PAGERDUTY_ROUTING_KEY`, `OPSGENIE_API_KEY` and their base URLs.
#[derive(Clone, Debug)]
pub struct PagerSettings {
    pub pagerduty_key: Option<SecretString>,
    /// `FIREBELL_PAGERDUTY_URL`: events go to `{url}/v2/enqueue`.
    pub pagerduty_url: String,
    pub opsgenie_key: Option<SecretString>,
    /// `FIREBELL_OPSGENIE_URL` (`https://api.eu.opsgenie.com` in the EU).
    pub opsgenie_url: String,
}

/// PagerDuty's Events API.
pub const PAGERDUTY_URL: &str = "https://events.pagerduty.com";
/// Opsgenie's Alert API (US instance).
pub const OPSGENIE_URL: &str = "https://api.opsgenie.com";

/// Reads variables through `get` so tests can pass a map instead of the process environment.
/// Empty values count as unset.
pub struct Env<F: Fn(&str) -> Option<String>>(pub F);

/// The process environment.
pub fn process_env() -> Env<impl Fn(&str) -> Option<String>> {
    Env(|name: &str| std::env::var(name).ok())
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// The settings every command needs.
    pub fn common(&self) -> Result<CommonSettings, EnvError> {
        let database_url = DatabaseUrl::parse(&self.get("DATABASE_URL").unwrap_or_else(|| DATABASE_URL.to_owned()))?;
        let log_format = match self.get("FIREBELL_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(error("FIREBELL_LOG_FORMAT", format!("\"{other}\"; expected \"json\" or \"text\"")));
            }
        };
        Ok(CommonSettings { database_url, config_path: self.get("FIREBELL_CONFIG").map(PathBuf::from), log_format })
    }

    /// The settings `serve` needs; the first problem found stops it.
    pub fn serve(&self) -> Result<ServeSettings, EnvError> {
        self.serve_with(false)
    }

    /// The settings of `serve --http`: with `SLACK_APP_TOKEN` set, keep serving `/slack/*`
    /// too (so it needs `SLACK_SIGNING_SECRET`); without it, the same as [`Env::serve`].
    pub fn serve_with(&self, http_too: bool) -> Result<ServeSettings, EnvError> {
        let common = self.common()?;
        let mut warnings = Vec::new();
        let app_token = self.get("SLACK_APP_TOKEN");
        if let Some(token) = &app_token {
            if token.starts_with("xoxb-") || token.starts_with("xoxp-") {
                return Err(error(
                    "SLACK_APP_TOKEN",
                    "this is a bot or user token; expected the app-level token (xapp-…) with connections:write from the app's Basic Information page",
                ));
            }
            if !token.starts_with("xapp-") {
                warnings.push("SLACK_APP_TOKEN does not start with xapp-; app-level tokens usually do".to_owned());
            }
        }
        let bot_token = self.get("SLACK_BOT_TOKEN").ok_or_else(|| {
            error("SLACK_BOT_TOKEN", "missing; expected the bot token (xoxb-…) from the Slack app's OAuth page")
        })?;
        if !bot_token.starts_with("xoxb-") {
            warnings.push("SLACK_BOT_TOKEN does not start with xoxb-; bot tokens usually do".to_owned());
        }
        let http_mode = app_token.is_none() || http_too;
        let signing_secret = match self.get("SLACK_SIGNING_SECRET") {
            Some(secret) if http_mode => Some(SecretString::from(secret)),
            Some(_) => {
                warnings.push(
                    "SLACK_SIGNING_SECRET is set but unused: Socket Mode does not serve /slack/* (add --http to serve both)"
                        .to_owned(),
                );
                None
            }
            None if http_mode => {
                let why = if app_token.is_some() {
                    "missing; --http serves /slack/*, which needs"
                } else {
                    "missing; expected"
                };
                return Err(error(
                    "SLACK_SIGNING_SECRET",
                    format!(
                        "{why} the signing secret from the Slack app's Basic Information page (or set SLACK_APP_TOKEN for Socket Mode)"
                    ),
                ));
            }
            None => None,
        };
        let slack_api_url = self.get("SLACK_API_URL").unwrap_or_else(|| SLACK_API_URL.to_owned());
        if !(slack_api_url.starts_with("https://") || slack_api_url.starts_with("http://")) {
            return Err(error("SLACK_API_URL", format!("\"{slack_api_url}\"; expected an http:// or https:// URL")));
        }
        let slack_api_url = if slack_api_url.ends_with('/') { slack_api_url } else { format!("{slack_api_url}/") };
        let public_url = match self.get("FIREBELL_PUBLIC_URL").map(|u| u.trim().trim_end_matches('/').to_owned()) {
            None => None,
            Some(url) if url.is_empty() => None,
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => Some(url),
            Some(url) => {
                return Err(error("FIREBELL_PUBLIC_URL", format!("\"{url}\"; expected an http:// or https:// URL")));
            }
        };
        let team_id = match self.get("SLACK_TEAM_ID") {
            None => None,
            Some(text) => Some(TeamId::parse(&text).ok_or_else(|| {
                error("SLACK_TEAM_ID", format!("\"{text}\"; expected a workspace id like T0123ABCD"))
            })?),
        };
        let listen_text = self.get("FIREBELL_LISTEN").unwrap_or_else(|| LISTEN.to_owned());
        let listen = listen_text.parse().map_err(|_| {
            error("FIREBELL_LISTEN", format!("\"{listen_text}\"; expected HOST:PORT like 0.0.0.0:3000"))
        })?;
        let job_lease = match self.get("FIREBELL_JOB_LEASE") {
            None => DEFAULT_JOB_LEASE,
            Some(text) => humantime::parse_duration(&text)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| error("FIREBELL_JOB_LEASE", format!("\"{text}\"; expected a duration like 30s")))?,
        };
        let outbox_concurrency = match self.get("FIREBELL_OUTBOX_CONCURRENCY") {
            None => DEFAULT_OUTBOX_CONCURRENCY,
            Some(text) => {
                text.trim().parse().ok().filter(|n| (1..=MAX_OUTBOX_CONCURRENCY).contains(n)).ok_or_else(|| {
                    error(
                        "FIREBELL_OUTBOX_CONCURRENCY",
                        format!("\"{text}\"; expected a whole number from 1 to {MAX_OUTBOX_CONCURRENCY}"),
                    )
                })?
            }
        };
        let retention = match self.get("FIREBELL_RETENTION") {
            None => DEFAULT_RETENTION,
            Some(text) => humantime::parse_duration(&text).ok().filter(|d| *d >= MIN_RETENTION).ok_or_else(|| {
                error("FIREBELL_RETENTION", format!("\"{text}\"; expected a duration of at least 1d, like 30d"))
            })?,
        };
        let slack_pacing = match self.get("FIREBELL_SLACK_PACING").as_deref().map(str::trim) {
            None | Some("slack") => true,
            Some("off") => false,
            Some(other) => {
                return Err(error("FIREBELL_SLACK_PACING", format!("\"{other}\"; expected slack or off")));
            }
        };
        let pagers = self.pagers()?;
        Ok(ServeSettings {
            common,
            pagers,
            slack_pacing,
            job_lease,
            outbox_concurrency,
            retention,
            bot_token: SecretString::from(bot_token),
            signing_secret,
            app_token: app_token.map(SecretString::from),
            slack_api_url,
            team_id,
            listen,
            webhook_token: self.get("FIREBELL_WEBHOOK_TOKEN").map(SecretString::from),
            api_token: self.get("FIREBELL_API_TOKEN").filter(|t| !t.trim().is_empty()).map(SecretString::from),
            public_url,
            warnings,
        })
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// The external pagers' settings: a routing key of the wrong shape, or a base URL that is
    /// not http(s), is refused at start rather than at the first page.
    fn pagers(&self) -> Result<PagerSettings, EnvError> {
        let url = |var: &'static str, default: &str| -> Result<String, EnvError> {
            let url = self.get(var).unwrap_or_else(|| default.to_owned());
            if url.starts_with("https://") || url.starts_with("http://") {
                Ok(url)
            } else {
                Err(error(var, format!("\"{url}\"; expected an http:// or https:// URL")))
            }
        };
        let pagerduty_key = self.get("PAGERDUTY_ROUTING_KEY");
        if let Some(key) = &pagerduty_key
            && !crate::pagers::routing_key_is_well_formed(key.trim())
        {
            return Err(error(
                "PAGERDUTY_ROUTING_KEY",
                "is not an Events API v2 integration key; expected the 32 letters and digits from the service's Events API v2 integration".to_owned(),
            ));
        }
        Ok(PagerSettings {
            pagerduty_key: pagerduty_key.map(|key| SecretString::from(key.trim().to_owned())),
            pagerduty_url: url("FIREBELL_PAGERDUTY_URL", PAGERDUTY_URL)?,
            opsgenie_key: self.get("OPSGENIE_API_KEY").map(|key| SecretString::from(key.trim().to_owned())),
            opsgenie_url: url("FIREBELL_OPSGENIE_URL", OPSGENIE_URL)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Env(move |name: &str| map.get(name).cloned())
    }

    const SLACK: [(&str, &str); 2] = [("SLACK_BOT_TOKEN", "xoxb-1"), ("SLACK_SIGNING_SECRET", "s3cret")];

    #[test]
    fn serve_runs_on_defaults_with_just_the_two_slack_variables() {
        let settings = env(&SLACK).serve().unwrap();
        assert_eq!(settings.slack_api_url, "https://slack.com/api/");
        assert_eq!(settings.listen.to_string(), "0.0.0.0:3000");
        assert!(
            matches!(settings.common.database_url, DatabaseUrl::Sqlite(ref p) if p.to_str() == Some("firebell.db"))
        );
        assert!(settings.warnings.is_empty());
        assert_eq!(
            (settings.job_lease, settings.outbox_concurrency, settings.retention),
            (DEFAULT_JOB_LEASE, DEFAULT_OUTBOX_CONCURRENCY, DEFAULT_RETENTION)
        );
    }

    #[test]
    fn the_default_lease_lets_a_restart_take_over_a_dead_process_job_within_five_seconds() {
        // A dead process's job is taken over when its last renewed lease runs out: at most
        // one lease after the kill. The rest of the 5 s is the new process's start-up.
        assert!(DEFAULT_JOB_LEASE <= std::time::Duration::from_secs(4));
    }

    #[test]
    fn a_missing_bot_token_is_named() {
        let error = env(&[("SLACK_SIGNING_SECRET", "x")]).serve().unwrap_err();
        assert_eq!(error.var, "SLACK_BOT_TOKEN");
        assert!(error.to_string().starts_with("SLACK_BOT_TOKEN: missing"));
    }

    #[test]
    fn an_empty_value_counts_as_missing() {
        let error = env(&[("SLACK_BOT_TOKEN", "xoxb-1"), ("SLACK_SIGNING_SECRET", "  ")]).serve().unwrap_err();
        assert_eq!(error.var, "SLACK_SIGNING_SECRET");
    }

    #[test]
    fn a_token_without_xoxb_is_a_warning_not_an_error() {
        let settings = env(&[("SLACK_BOT_TOKEN", "abc"), ("SLACK_SIGNING_SECRET", "x")]).serve().unwrap();
        assert_eq!(settings.warnings.len(), 1);
    }

    #[test]
    fn malformed_values_are_named_with_what_is_expected() {
        let cases = [
            ("DATABASE_URL", "mysql://db", "unknown scheme \"mysql\""),
            ("DATABASE_URL", "sqlite://", "expected sqlite://PATH"),
            ("SLACK_API_URL", "slack.com/api", "expected an http:// or https:// URL"),
            ("FIREBELL_LISTEN", "3000", "expected HOST:PORT"),
            ("SLACK_TEAM_ID", "acme", "expected a workspace id"),
            ("FIREBELL_LOG_FORMAT", "xml", "expected \"json\" or \"text\""),
            ("FIREBELL_JOB_LEASE", "0s", "expected a duration like 30s"),
            ("FIREBELL_OUTBOX_CONCURRENCY", "0", "expected a whole number from 1 to 64"),
            ("FIREBELL_OUTBOX_CONCURRENCY", "65", "expected a whole number from 1 to 64"),
            ("FIREBELL_RETENTION", "1h", "expected a duration of at least 1d"),
        ];
        for (var, value, expected) in cases {
            let mut pairs = SLACK.to_vec();
            pairs.push((var, value));
            let error = env(&pairs).serve().unwrap_err();
            assert_eq!(error.var, var);
            assert!(error.to_string().contains(expected), "{error}");
        }
    }

    #[test]
    fn the_api_url_gets_a_trailing_slash_and_may_be_plain_http() {
        let mut pairs = SLACK.to_vec();
        pairs.push(("SLACK_API_URL", "http://127.0.0.1:9/api"));
        assert_eq!(env(&pairs).serve().unwrap().slack_api_url, "http://127.0.0.1:9/api/");
    }

    #[test]
    fn postgres_urls_are_accepted_and_never_described_with_credentials() {
        let url = DatabaseUrl::parse("postgres://firebell:hunter2@db/firebell").unwrap();
        assert_eq!(url.describe(), "PostgreSQL");
        assert!(!format!("{url:?}").contains("hunter2"));
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let mut pairs = SLACK.to_vec();
        pairs.push(("SLACK_APP_TOKEN", "xapp-1-secret"));
        let settings = env(&pairs).serve_with(true).unwrap();
        let printed = format!("{settings:?}");
        assert!(!printed.contains("xoxb-1") && !printed.contains("s3cret") && !printed.contains("xapp-1"), "{printed}");
    }

    #[test]
    fn socket_mode_needs_no_signing_secret_and_does_not_serve_slack_routes() {
        let settings = env(&[("SLACK_BOT_TOKEN", "xoxb-1"), ("SLACK_APP_TOKEN", "xapp-1")]).serve().unwrap();
        assert!(settings.app_token.is_some());
        assert!(settings.signing_secret.is_none());
        assert!(settings.warnings.is_empty(), "{:?}", settings.warnings);
    }

    #[test]
    fn socket_mode_with_http_needs_the_signing_secret_too() {
        let error = env(&[("SLACK_BOT_TOKEN", "xoxb-1"), ("SLACK_APP_TOKEN", "xapp-1")]).serve_with(true).unwrap_err();
        assert_eq!(error.var, "SLACK_SIGNING_SECRET");
        assert!(error.problem.contains("--http"), "{error}");
        let mut pairs = SLACK.to_vec();
        pairs.push(("SLACK_APP_TOKEN", "xapp-1"));
        let both = env(&pairs).serve_with(true).unwrap();
        assert!(both.app_token.is_some() && both.signing_secret.is_some());
    }

    #[test]
    fn an_unused_signing_secret_in_socket_mode_is_a_warning() {
        let mut pairs = SLACK.to_vec();
        pairs.push(("SLACK_APP_TOKEN", "xapp-1"));
        let settings = env(&pairs).serve().unwrap();
        assert!(settings.signing_secret.is_none());
        assert!(settings.warnings.iter().any(|w| w.contains("--http")), "{:?}", settings.warnings);
    }

    #[test]
    fn a_bot_token_given_as_the_app_token_is_an_error() {
        let mut pairs = SLACK.to_vec();
        pairs.push(("SLACK_APP_TOKEN", "xoxb-2"));
        let error = env(&pairs).serve().unwrap_err();
        assert_eq!(error.var, "SLACK_APP_TOKEN");
        assert!(error.problem.contains("xapp-"), "{error}");
    }

    #[test]
    fn http_mode_ignores_the_http_flag() {
        let settings = env(&SLACK).serve_with(true).unwrap();
        assert!(settings.app_token.is_none() && settings.signing_secret.is_some());
    }
}
