-- Overrides of on-call schedules: someone on call in the scheduled person's place, from
-- `starts_at` until `ends_at` (UTC milliseconds). The one set last wins where two overlap.
CREATE TABLE oncall_overrides (
    id         BIGSERIAL PRIMARY KEY,
    schedule   TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    starts_at  BIGINT  NOT NULL,
    ends_at    BIGINT  NOT NULL,
    set_by     TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE INDEX oncall_overrides_by_schedule ON oncall_overrides (schedule, ends_at);
