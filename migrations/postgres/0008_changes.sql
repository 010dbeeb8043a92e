-- Pre-shared changes: planned work announced before it happens, listed when an incident is
-- declared on the same services soon after ("what changed?").

CREATE TABLE changes (
    id         BIGSERIAL PRIMARY KEY,
    text       TEXT NOT NULL,
    services   TEXT NOT NULL,
    planned_at BIGINT,
    author     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX changes_by_time ON changes (created_at);
