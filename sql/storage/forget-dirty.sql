-- Forgets the buckets waiting for the rollup job before ${before}, whose readings are gone.
DELETE FROM rollup_dirty WHERE bucket < ${before}
