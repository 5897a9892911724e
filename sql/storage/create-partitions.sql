-- Creates table ${table}'s partitions of the months holding ${now} and ${next} where missing; how many.
SELECT pimonitor_create_partitions(${table}, ARRAY[${now}, ${next}]::timestamptz[]) AS n
