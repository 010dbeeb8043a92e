-- Alerts as their sources group them (issue 22). A group is what one prompt stands for: the
-- alerts of one source group (Alertmanager's groupKey…) that the policy routes alike. It is
-- active while notifications of it are news (its prompt open, its incident running, some of
-- its alerts firing); the unique (source, group_key, active) index makes a second copy of a
-- notification update the same group instead of making another.
--
-- Alerts already stored become groups of one, with the alert's id, so the buttons on prompts
-- posted before this version (they carry the alert id) still act on them.

CREATE TABLE alert_groups (
    id             BIGSERIAL PRIMARY KEY,
    source         TEXT NOT NULL,
    group_key      TEXT NOT NULL,
    active         TEXT,
    state          TEXT NOT NULL,
    action         TEXT NOT NULL,
    rule           TEXT,
    title          TEXT NOT NULL,
    labels         TEXT NOT NULL,
    links          TEXT NOT NULL DEFAULT '[]',
    severity       TEXT NOT NULL,
    service        TEXT,
    started_at     BIGINT NOT NULL,
    first_seen     BIGINT NOT NULL,
    last_seen      BIGINT NOT NULL,
    revision       BIGINT NOT NULL DEFAULT 0,
    incident_id    BIGINT REFERENCES incidents (id),
    storm_id       BIGINT,
    prompt_channel TEXT,
    prompt_ts      TEXT
);
CREATE UNIQUE INDEX alert_groups_one_active ON alert_groups (source, group_key, active);
CREATE INDEX alert_groups_by_prompt ON alert_groups (prompt_channel, prompt_ts);
CREATE INDEX alert_groups_by_first_seen ON alert_groups (first_seen);
CREATE INDEX alert_groups_by_incident ON alert_groups (incident_id);

INSERT INTO alert_groups (id, source, group_key, active, state, action, title, labels, links, severity, service,
                          started_at, first_seen, last_seen, incident_id, prompt_channel, prompt_ts)
SELECT id, source, 'alert:' || fingerprint, active, state, 'prompt', title, labels, '[]', severity, service,
       COALESCE(started_at, first_seen), first_seen, last_seen, incident_id, prompt_channel, prompt_ts
FROM alerts;
SELECT setval(pg_get_serial_sequence('alert_groups', 'id'), COALESCE((SELECT MAX(id) FROM alert_groups), 0) + 1, false);

-- An alert belongs to one group; `fired` counts its firings (a return from resolved), where
-- `seen` counted notifications.
ALTER TABLE alerts ADD COLUMN group_id BIGINT REFERENCES alert_groups (id);
ALTER TABLE alerts ADD COLUMN fired BIGINT NOT NULL DEFAULT 1;
ALTER TABLE alerts ADD COLUMN links TEXT NOT NULL DEFAULT '[]';
UPDATE alerts SET group_id = id;
DROP INDEX alerts_one_active;
CREATE UNIQUE INDEX alerts_one_per_group ON alerts (group_id, fingerprint);

-- A storm: one prompt listing the groups that arrived while the triage channel was flooded.
CREATE TABLE alert_storms (
    id             BIGSERIAL PRIMARY KEY,
    channel        TEXT NOT NULL,
    active         TEXT,
    started_at     BIGINT NOT NULL,
    revision       BIGINT NOT NULL DEFAULT 0,
    prompt_ts      TEXT
);
CREATE UNIQUE INDEX alert_storms_one_active ON alert_storms (channel, active);
