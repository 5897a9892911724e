import { DEFAULT_METRIC_RANGES, type Range, type ValidationLimits } from '../shared/contract.js';
import type { Config } from './index.js';

/**
 * The contract's limits as configured (INGEST_MAX_PAYLOAD_BYTES, INGEST_MAX_FUTURE_SKEW_MS,
 * INGEST_METRIC_RANGES over the built-in ranges): the one place they are built, for every reader of the
 * broker — ingest, the alerts worker and the dashboard's live feed — so none judges a reading by other
 * limits than the one that stores it.
 */
export function validationLimitsOf(config: Pick<Config, 'ingest'>): ValidationLimits {
  const { ingest } = config;
  return {
    maxPayloadBytes: ingest.maxPayloadBytes,
    maxFutureSkewMs: ingest.maxFutureSkewMs,
    ranges: { ...DEFAULT_METRIC_RANGES, ...(ingest.metricRanges as Record<string, Range>) },
  };
}
