-- One alert event (alert_events), in the order the engine made them: its id is the order.
INSERT INTO alert_events (at, kind, rule, device, sensor, metric, severity, value, message, labels, started_at,
  fired_at, inhibited, catching_up, reason, condition, threshold_lo, threshold_hi, clear_lo, clear_hi, unit, template)
VALUES (${at}, ${kind}, ${rule}, ${device}, ${sensor}, ${metric}, ${severity}, ${value}, ${message}, ${labels},
  ${started_at}, ${fired_at}, ${inhibited}, ${catching_up}, ${reason}, ${condition}, ${threshold_lo}, ${threshold_hi},
  ${clear_lo}, ${clear_hi}, ${unit}, ${template})
RETURNING id
