-- Records how far the worker's spool is committed, in the batch's own transaction.
INSERT INTO ingest_progress (worker, spool_id, position, updated_at)
VALUES (${worker}, ${spoolId}, ${position}, now())
ON CONFLICT (worker) DO UPDATE SET spool_id = EXCLUDED.spool_id, position = EXCLUDED.position, updated_at = now()
