-- Declaring: the channel-name attempt, the pinned summary, and the channels told.

ALTER TABLE incidents ADD COLUMN channel_attempt BIGINT  NOT NULL DEFAULT 1;
ALTER TABLE incidents ADD COLUMN summary_ts TEXT;

-- Every channel an incident's first notice went to (or failed to reach), so widening tells
-- only the channels that have not seen it and a retried job never posts twice.
CREATE TABLE incident_notices (
    incident_id BIGINT  NOT NULL REFERENCES incidents (id),
    channel_id  TEXT    NOT NULL,
    ts          TEXT,
    error       TEXT,
    at          BIGINT  NOT NULL,
    PRIMARY KEY (incident_id, channel_id)
);
