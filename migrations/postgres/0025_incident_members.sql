-- Who joined an incident's channel (issue 23): with the reporter, the roles, the invited
-- responders and on-call, and whoever was paged or wrote there, these are the people the
-- dashboard shows a private incident to.

CREATE TABLE incident_members (
    incident_id BIGINT  NOT NULL,
    user_id     TEXT    NOT NULL,
    joined_at   BIGINT  NOT NULL,
    PRIMARY KEY (incident_id, user_id)
);
