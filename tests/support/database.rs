//! Fresh databases for tests: a SQLite file in a temporary directory, or — when
//! `FIREBELL_TEST_POSTGRES_URL` is set (CI sets it) — a new PostgreSQL database per test.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;
use tempfile::TempDir;

/// The variable that points the tests at a PostgreSQL server.
pub const POSTGRES_VAR: &str = "FIREBELL_TEST_POSTGRES_URL";

/// A database that lives as long as this value.
pub struct TestDatabase {
    /// What `DATABASE_URL` should say.
    pub url: String,
    /// Human name for messages ("SQLite" / "PostgreSQL").
    pub backend: &'static str,
    /// Keeps the SQLite directory alive.
    pub dir: TempDir,
}

impl TestDatabase {
    /// Writes `text` as the policy file beside the database; returns its path.
    pub fn write_policy(&self, text: &str) -> std::path::PathBuf {
        let path = self.dir.path().join("firebell.toml");
        std::fs::write(&path, text).expect("the policy file is written");
        path
    }
}

/// A fresh SQLite database file (not created yet: firebell creates it).
pub fn sqlite() -> TestDatabase {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("firebell.db").display());
    TestDatabase { url, backend: "SQLite", dir }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh PostgreSQL database, or `None` (with a note printed) when no server is configured.
pub async fn postgres() -> Option<TestDatabase> {
    let Ok(admin_url) = std::env::var(POSTGRES_VAR) else {
        println!("skipped PostgreSQL: {POSTGRES_VAR} is not set");
        return None;
    };
    let name = format!(
        "firebell_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_subsec_nanos()
    );
    let mut admin = tokio::time::timeout(std::time::Duration::from_secs(10), sqlx::PgConnection::connect(&admin_url))
        .await
        .expect("PostgreSQL answers within 10 s")
        .expect("connect to FIREBELL_TEST_POSTGRES_URL");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create test database");
    admin.close().await.ok();
    Some(TestDatabase {
        url: with_database(&admin_url, &name),
        backend: "PostgreSQL",
        dir: tempfile::tempdir().expect("tmp"),
    })
}

/// Every backend available to this run: SQLite always, PostgreSQL when configured.
pub async fn all() -> Vec<TestDatabase> {
    let mut databases = vec![sqlite()];
    databases.extend(postgres().await);
    databases
}

/// Drops a PostgreSQL test database out from under its users (for "the database is gone").
pub async fn drop_postgres(url: &str) {
    let admin_url = std::env::var(POSTGRES_VAR).expect("postgres configured");
    let name = url.rsplit('/').next().unwrap_or_default().split('?').next().unwrap_or_default().to_owned();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("connect admin");
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin).await.expect("drop database");
}

/// `admin_url` with its database name replaced by `name` (query string kept).
fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url.split_once('?').map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}
