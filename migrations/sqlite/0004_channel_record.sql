-- The raw material of the retrospective: messages in incident channels, kept as they arrive.
-- A deleted message keeps only its mark (the text is dropped: it may have been a secret).

CREATE TABLE channel_messages (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    channel_id  TEXT    NOT NULL,
    ts          TEXT    NOT NULL,
    thread_ts   TEXT,
    user_id     TEXT,
    text        TEXT,
    file_count  INTEGER NOT NULL DEFAULT 0,
    subtype     TEXT,
    edited      INTEGER NOT NULL DEFAULT 0,
    deleted     INTEGER NOT NULL DEFAULT 0,
    posted_at   INTEGER NOT NULL,
    PRIMARY KEY (channel_id, ts)
);
CREATE INDEX channel_messages_by_incident ON channel_messages (incident_id, posted_at);

-- Highlights (and later other entries) point at a message: at most one per message.
ALTER TABLE timeline_events ADD COLUMN ref_ts TEXT;
CREATE UNIQUE INDEX timeline_events_one_per_message ON timeline_events (incident_id, kind, ref_ts);
