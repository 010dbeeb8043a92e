-- Dropping the message text of long-closed incidents (the policy's `retention.messages`)
-- finds those incidents by when they were closed, and their messages whose text is still
-- kept, without scanning either table: once an incident's text is gone, the hourly look for
-- more reads only the incidents index.
CREATE INDEX incidents_closed ON incidents (status, closed_at);
CREATE INDEX channel_messages_kept ON channel_messages (incident_id) WHERE deleted = 0;
