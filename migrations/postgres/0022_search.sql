-- Search over incident history (`/incident search`, similar incidents): every searchable text
-- of an incident is one row of `search_entries`, keyed by where it came from (`title`,
-- `impact`, `description`, `event:ID`, `message:TS`, `retro`, `report:NAME`), written in the
-- same transaction as the text itself. A pg_trgm GIN index serves `ILIKE '%word%'`: any
-- substring of three characters or more, so `결제` inside `결제가` and `timeout` inside
-- `timeouts` are found (shorter words are matched without the index; see store/search.rs).
-- pg_trgm ships with PostgreSQL and is a trusted extension (13+): the database's owner may
-- create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE search_entries (
    id          BIGSERIAL PRIMARY KEY,
    incident_id BIGINT NOT NULL,
    source      TEXT   NOT NULL,
    body        TEXT   NOT NULL,
    UNIQUE (incident_id, source)
);
CREATE INDEX search_entries_trigrams ON search_entries USING gin (body gin_trgm_ops);

-- The incidents that existed before this version.
INSERT INTO search_entries (incident_id, source, body)
    SELECT id, 'title', title FROM incidents;
INSERT INTO search_entries (incident_id, source, body)
    SELECT id, 'impact', impact FROM incidents WHERE impact IS NOT NULL AND impact <> '';
INSERT INTO search_entries (incident_id, source, body)
    SELECT id, 'description', description FROM incidents WHERE description IS NOT NULL AND description <> '';
INSERT INTO search_entries (incident_id, source, body)
    SELECT incident_id, 'message:' || ts, text FROM channel_messages
    WHERE deleted = 0 AND text IS NOT NULL AND text <> '';
INSERT INTO search_entries (incident_id, source, body)
    SELECT incident_id, 'event:' || id, body::jsonb ->> 'text' FROM timeline_events
    WHERE kind IN ('update', 'note', 'followup_added', 'response_action')
      AND body::jsonb ->> 'text' IS NOT NULL AND body::jsonb ->> 'text' <> '';
INSERT INTO search_entries (incident_id, source, body)
    SELECT incident_id, 'event:' || id, body::jsonb ->> 'summary' FROM timeline_events
    WHERE kind = 'resolved' AND body::jsonb ->> 'summary' IS NOT NULL AND body::jsonb ->> 'summary' <> '';
INSERT INTO search_entries (incident_id, source, body)
    SELECT incident_id, 'event:' || id, body::jsonb ->> 'title' FROM timeline_events
    WHERE kind = 'alert' AND body::jsonb ->> 'title' IS NOT NULL;

-- The similar past incidents listed in an incident's summary, chosen once when it is posted
-- (`similar_chosen` set: an empty list is a choice too).
ALTER TABLE incidents ADD COLUMN similar_chosen BIGINT;
CREATE TABLE incident_similar (
    incident_id BIGINT NOT NULL,
    position    BIGINT NOT NULL,
    similar_id  BIGINT NOT NULL,
    PRIMARY KEY (incident_id, position)
);
