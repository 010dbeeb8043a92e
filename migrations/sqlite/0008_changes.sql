-- Pre-shared changes: planned work announced before it happens, listed when an incident is
-- declared on the same services soon after ("what changed?").

CREATE TABLE changes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    text       TEXT NOT NULL,
    services   TEXT NOT NULL,
    planned_at INTEGER,
    author     TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX changes_by_time ON changes (created_at);
