-- Dashboard sign-in (issue 23): one-time links (five minutes, single use) and the sessions
-- they open. Only the SHA-256 of each token is stored, so a copy of the database signs nobody
-- in; a session is revoked by a row, so a restart neither ends nor revives one.

CREATE TABLE dashboard_links (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE TABLE dashboard_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX dashboard_sessions_by_user ON dashboard_sessions (user_id);
