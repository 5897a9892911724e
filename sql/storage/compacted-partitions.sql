-- The partitions already compacted (storage/compact.ts): each is rewritten once.
SELECT partition FROM compacted_partitions
