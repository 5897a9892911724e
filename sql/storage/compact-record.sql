-- Records partition ${partition} as compacted: it is not rewritten again.
INSERT INTO compacted_partitions (partition) VALUES (${partition})
