-- Search over incident history (`/incident search`, similar incidents): every searchable text
-- of an incident is one row of `search_entries`, keyed by where it came from (`title`,
-- `impact`, `description`, `event:ID`, `message:TS`, `retro`, `report:NAME`), written in the
-- same transaction as the text itself. An FTS5 index with the trigram tokenizer follows the
-- table through triggers: it matches any substring of three characters or more, so `결제`
-- inside `결제가` and `timeout` inside `timeouts` are found (shorter words are matched by a
-- scan of the table; see store/search.rs).
CREATE TABLE search_entries (
    id          INTEGER PRIMARY KEY,
    incident_id BIGINT NOT NULL,
    source      TEXT   NOT NULL,
    body        TEXT   NOT NULL,
    UNIQUE (incident_id, source)
);

CREATE VIRTUAL TABLE search_fts USING fts5(
    body,
    content = 'search_entries',
    content_rowid = 'id',
    tokenize = 'trigram'
);

CREATE TRIGGER search_entries_inserted AFTER INSERT ON search_entries BEGIN
    INSERT INTO search_fts (rowid, body) VALUES (new.id, new.body);
END;

CREATE TRIGGER search_entries_deleted AFTER DELETE ON search_entries BEGIN
    INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;

CREATE TRIGGER search_entries_updated AFTER UPDATE ON search_entries BEGIN
    INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO search_fts (rowid, body) VALUES (new.id, new.body);
END;

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
    SELECT incident_id, 'event:' || id, json_extract(body, '$.text') FROM timeline_events
    WHERE kind IN ('update', 'note', 'followup_added', 'response_action')
      AND json_extract(body, '$.text') IS NOT NULL AND json_extract(body, '$.text') <> '';
INSERT INTO search_entries (incident_id, source, body)
    SELECT incident_id, 'event:' || id, json_extract(body, '$.summary') FROM timeline_events
    WHERE kind = 'resolved' AND json_extract(body, '$.summary') IS NOT NULL AND json_extract(body, '$.summary') <> '';
INSERT INTO search_entries (incident_id, source, body)
    SELECT incident_id, 'event:' || id, json_extract(body, '$.title') FROM timeline_events
    WHERE kind = 'alert' AND json_extract(body, '$.title') IS NOT NULL;

-- The similar past incidents listed in an incident's summary, chosen once when it is posted
-- (`similar_chosen` set: an empty list is a choice too).
ALTER TABLE incidents ADD COLUMN similar_chosen BIGINT;
CREATE TABLE incident_similar (
    incident_id BIGINT NOT NULL,
    position    BIGINT NOT NULL,
    similar_id  BIGINT NOT NULL,
    PRIMARY KEY (incident_id, position)
);
