//! Learning from past incidents: the similar past incidents of an incident (chosen once, when
//! its summary is first posted, and kept), `similar` and `search`. The store finds and
//! matches in the database (its search index); the domain scores (`domain::similar`).

use super::App;
use super::reply::Reply;
use crate::domain::incident::{Incident, ServiceName};
use crate::domain::search::query_words;
use crate::domain::similar::{PastIncident, Probe, choose, words_of};
use crate::render;
use crate::store::Store;

/// At most this many incidents answer a `search`.
const SEARCH_RESULTS: i64 = 10;

/// The similar past incidents of `incident`, as its summary lists them: chosen the first
/// time they are asked for (when the summary is posted), the same list afterwards.
pub async fn similar_incidents(store: &Store, incident: &Incident) -> anyhow::Result<Vec<PastIncident>> {
    let ids = match store.chosen_similar(incident.id).await? {
        Some(ids) => ids,
        None => {
            let alerts =
                store.alert_names(std::slice::from_ref(incident)).await?.remove(&incident.id).unwrap_or_default();
            let probe = Probe::of(incident, alerts);
            let candidates = store.similar_candidates(incident, &probe.alerts, &words_of(incident)).await?;
            let chosen = choose(&probe, candidates.iter().map(|c| (&c.incident, &c.alerts)));
            store.choose_similar(incident.id, &chosen).await?;
            // Another replica may have chosen first: its choice is the one kept.
            store.chosen_similar(incident.id).await?.unwrap_or(chosen)
        }
    };
    store.past_incidents(&ids).await
}

impl App {
    /// `search TEXT [service:NAME]`: the best ten incidents (never private) matching every word.
    pub async fn search(&self, text: &str, service: Option<&ServiceName>) -> anyhow::Result<Reply> {
        let words = query_words(text);
        let found = self.store.search(&words, service, SEARCH_RESULTS).await?;
        let ids: Vec<_> = found.iter().map(|i| i.id).collect();
        let found = self.store.past_incidents(&ids).await?;
        Ok(Reply::ephemeral(render::similar::search_reply(text, &found, &self.policy)))
    }

    /// `similar`: the summary's list, on demand.
    pub async fn similar(&self, incident: &Incident) -> anyhow::Result<Reply> {
        let similar = similar_incidents(&self.store, incident).await?;
        Ok(Reply::ephemeral(render::similar::similar_reply(incident.number.0, &similar, &self.policy)))
    }
}
