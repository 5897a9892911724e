-- Whether partition ${partition} was compacted already (a row; none when not).
SELECT 1 FROM compacted_partitions WHERE partition = ${partition}
