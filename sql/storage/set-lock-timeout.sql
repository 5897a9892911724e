-- How long a statement of this transaction waits for a lock before it gives up (e.g. '3s').
SET LOCAL lock_timeout = ${timeout}
