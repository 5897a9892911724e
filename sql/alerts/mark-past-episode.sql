-- A resolution that is the one notification of an episode a backlog fired and ended.
UPDATE alert_events SET past_episode = true WHERE id = ${id} RETURNING *
