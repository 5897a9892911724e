-- The dirty buckets a rollup run would take: those closed, or all when ${allOpen}.
SELECT count(*)::int AS total FROM rollup_dirty WHERE ${allOpen} OR pimonitor_rollup_due(bucket)
