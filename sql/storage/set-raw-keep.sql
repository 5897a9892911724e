-- How long raw readings are kept: ${rawKeepDays} days, or forever when 0.
UPDATE storage_settings SET raw_keep = CASE WHEN ${rawKeepDays} > 0 THEN make_interval(days => ${rawKeepDays}) END
