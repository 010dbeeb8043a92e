//! Search over 10,000 past incidents: the `search` query (a word served by the trigram
//! index, several words, a two-character Korean word that no trigram index can serve), and
//! the choice of similar incidents made when a new incident's summary is posted.
//!
//! Run with `cargo bench --bench search` (SQLite in a temporary file); with
//! `FIREBELL_BENCH_POSTGRES_URL=postgres://…` the same runs against that (empty) PostgreSQL
//! database as well.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark fails loudly")]

#[path = "support/history.rs"]
mod history;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use firebell::app::similar::similar_incidents;
use firebell::config::env::DatabaseUrl;
use firebell::domain::incident::IncidentNumber;
use firebell::domain::search::query_words;
use firebell::store::Store;
use history::history;

/// How many past incidents the history has.
const INCIDENTS: usize = 10_000;

fn against(c: &mut Criterion, name: &str, url: &DatabaseUrl) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = runtime.block_on(async {
        let store = Store::connect(url).await.unwrap();
        store.migrate().await.unwrap();
        let started = std::time::Instant::now();
        history(&store, INCIDENTS).await;
        eprintln!("{name}: wrote {INCIDENTS} incidents in {:.1} s", started.elapsed().as_secs_f64());
        store
    });
    let newest = runtime
        .block_on(store.incident_by_number(IncidentNumber(i64::try_from(INCIDENTS).unwrap() - 1)))
        .unwrap()
        .unwrap();
    let mut group = c.benchmark_group(format!("search over 10,000 incidents ({name})"));
    group.sample_size(20);
    for query in ["timeout", "결제", "gateway timeouts deploy", "결제가 실패 payments", "zzzz nothing"] {
        let words = query_words(query);
        group.bench_function(format!("search {query}"), |b| {
            b.iter(|| black_box(runtime.block_on(store.search(&words, None, 10)).unwrap()))
        });
    }
    group.bench_function("choose the similar incidents of a new incident", |b| {
        b.iter(|| {
            // Chosen once per incident: forget the choice so that each iteration chooses.
            runtime.block_on(async {
                sqlx::query("UPDATE incidents SET similar_chosen = NULL WHERE id = $1")
                    .bind(newest.id)
                    .execute(store.pool())
                    .await
                    .unwrap();
                sqlx::query("DELETE FROM incident_similar WHERE incident_id = $1")
                    .bind(newest.id)
                    .execute(store.pool())
                    .await
                    .unwrap();
                black_box(similar_incidents(&store, &newest).await.unwrap())
            })
        })
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    against(c, "SQLite", &DatabaseUrl::Sqlite(dir.path().join("search.db")));
    if let Ok(url) = std::env::var("FIREBELL_BENCH_POSTGRES_URL") {
        against(c, "PostgreSQL", &DatabaseUrl::parse(&url).unwrap());
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
