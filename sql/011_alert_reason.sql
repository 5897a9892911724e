-- Schema version 11: why an alert resolved, when it was not its condition that ended (issue 24, item 3).
-- 'rule removed': the worker started with a configuration in which no rule owns the alert any more (the
-- rule was removed or renamed, its selector no longer matches the series, or its type changed). Null for
-- a resolution by the condition, for firings, and for every row written before this version.
ALTER TABLE alert_events ADD COLUMN reason text;
COMMENT ON COLUMN alert_events.reason IS 'Why it resolved other than by its condition: rule removed; null otherwise (and for older rows).';
