-- Follow-ups (action items in three groups) and published retrospectives.

CREATE TABLE followups (
    id          BIGSERIAL PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    grp         TEXT NOT NULL,
    text        TEXT NOT NULL,
    owner       TEXT,
    due         TEXT,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    done_at     BIGINT,
    done_by     TEXT
);
CREATE INDEX followups_by_incident ON followups (incident_id, id);
CREATE INDEX followups_open_due ON followups (done_at, due);

-- One retrospective document per incident: the canvas it lives in, or the latest file.
CREATE TABLE retrospectives (
    incident_id  BIGINT PRIMARY KEY REFERENCES incidents (id),
    canvas_id    TEXT,
    file_id      TEXT,
    link         TEXT,
    versions     BIGINT NOT NULL DEFAULT 0,
    published_at BIGINT NOT NULL
);

-- Facts about the workspace learned at start (its URL, for permalinks in documents).
CREATE TABLE workspace_facts (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
