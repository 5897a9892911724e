import { ATTEMPTS, MAX_PORT, MAX_TIMER_MS, PORT_OR_OFF, TIMEOUT_MS, TIMER_LIMIT } from './bounds.js';

/** The alerts worker: rules, where notifications go, and the SMTP server for e-mail. */
export const alerts = {
  alerts: {
    rules: {
      doc: 'Alert rules (threshold, stale, offline, sensorHealth) as a JSON list; see docs/alerts.md. '
        + '`pimonitor up` starts the alerts worker when there are any.',
      format: 'json-list',
      default: [] as unknown[],
      env: 'ALERT_RULES',
    },
    routes: {
      doc: 'Where notifications go (email, webhook, ntfy, mqtt) as a JSON list; see docs/alerts.md.',
      format: 'json-list',
      default: [] as unknown[],
      env: 'ALERT_ROUTES',
    },
    clientId: {
      doc: 'MQTT client id of the alerts worker; keep it stable so the broker keeps what arrives while it is down.',
      format: String,
      default: 'pimonitor-alerts',
      env: 'ALERTS_CLIENT_ID',
    },
    tickIntervalMs: {
      doc: 'How often the alerts worker lets time pass for stale, pending and recovering alerts, in milliseconds.',
      format: 'duration-ms',
      default: 10_000,
      env: 'ALERTS_TICK_INTERVAL_MS',
      bounds: {
        min: 100,
        belowMin: 'the worker would evaluate every rule without pause',
        max: MAX_TIMER_MS,
        aboveMax: TIMER_LIMIT,
      },
    },
    sendTimeoutMs: {
      doc: 'A notification (SMTP, webhook, ntfy, MQTT) with no answer for this long has failed and is retried later.',
      format: 'duration-ms',
      default: 10_000,
      env: 'ALERTS_SEND_TIMEOUT_MS',
      bounds: TIMEOUT_MS,
    },
    maxAttempts: {
      doc: 'Attempts to send a notification before it is given up (kept in alert_notifications with its error); '
        + 'retries back off up to 30 minutes.',
      format: 'count',
      default: 12,
      env: 'ALERTS_MAX_ATTEMPTS',
      bounds: ATTEMPTS,
    },
    httpHost: {
      doc: 'Address of the alerts worker\'s /metrics and /healthz endpoint.',
      format: String,
      default: '127.0.0.1',
      env: 'ALERTS_HTTP_HOST',
    },
    httpPort: {
      doc: 'Port of the alerts worker\'s /metrics (Prometheus) and /healthz endpoint; 0 turns it off.',
      format: 'port',
      default: 9466,
      env: 'ALERTS_HTTP_PORT',
      bounds: PORT_OR_OFF,
    },
    smtp: {
      host: {
        doc: 'SMTP server for e-mail routes (required when there is one).',
        format: String,
        default: '',
        env: 'SMTP_HOST',
      },
      port: {
        doc: 'SMTP port: 587 (STARTTLS), 465 (TLS), 25.',
        format: 'port',
        default: 587,
        env: 'SMTP_PORT',
        bounds: {
          min: 1,
          belowMin: 'the SMTP server is reached at this port: 0 is none',
          max: MAX_PORT,
          aboveMax: 'port numbers are 16 bits',
        },
      },
      secure: {
        doc: 'TLS from the start (port 465); false uses STARTTLS when the server offers it.',
        format: Boolean,
        default: false,
        env: 'SMTP_SECURE',
      },
      user: {
        doc: 'SMTP user name; empty sends without logging in.',
        format: String,
        default: '',
        env: 'SMTP_USER',
      },
      password: {
        doc: 'SMTP password.',
        format: String,
        default: '',
        env: 'SMTP_PASSWORD',
        sensitive: true,
      },
      from: {
        doc: 'Sender address of alert e-mails and reports.',
        format: String,
        default: 'pimonitor@localhost',
        env: 'SMTP_FROM',
      },
    },
  },
};
