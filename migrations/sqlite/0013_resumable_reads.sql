-- Long reads from Slack that resume where a rate limit stopped them instead of starting over.

-- Looking for our own channel after `name_taken`: where the paging of the bot's channels
-- continues. Set only while a look-up of the reserved name is under way.
ALTER TABLE incidents ADD COLUMN channel_lookup_cursor TEXT;

-- The retrospective's backfill of each incident channel: where the reading of its history
-- continues (a cursor, or every page read), the newest message the run under way saw, and the
-- newest one a finished run covered — a later run reads only what is newer.
CREATE TABLE backfills (
    incident_id    INTEGER PRIMARY KEY REFERENCES incidents (id),
    history_cursor TEXT,
    history_read   INTEGER NOT NULL DEFAULT 0,
    newest_ts      TEXT,
    covered_ts     TEXT
);

-- Threads the backfill under way found and has not finished reading (a thread whose replies
-- are stored is gone from here), with where the reading of a long one continues.
CREATE TABLE backfill_threads (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    thread_ts   TEXT NOT NULL,
    cursor      TEXT,
    PRIMARY KEY (incident_id, thread_ts)
);
