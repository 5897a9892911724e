import type { Config } from '../config/index.js';
import { ExpectedError } from '../shared/expected-error.js';
import { createMailTransport } from '../shared/mail.js';
import { parseRoutes, type Route } from './routes.js';
import { parseRules, type Rule } from './rules.js';
import type { Transports } from './senders.js';

/** The rules and routes of the configuration, checked together; every problem named in one error. */
export function alertsSetup(config: Config): { rules: Rule[]; routes: Route[] } {
  const rules = parseRules(config.alerts.rules);
  const routes = parseRoutes(config.alerts.routes);
  const problems = [...(rules.ok ? [] : rules.problems), ...(routes.ok ? [] : routes.problems)];
  if (rules.ok && routes.ok) {
    const names = new Set(routes.value.map((r) => r.name));
    for (const rule of rules.value) {
      for (const route of rule.routes ?? []) {
        if (names.has(route)) continue;
        const known = [...names].join(', ') || 'none';
        problems.push(`rule "${rule.name}": routes: there is no route called ${route} (routes: ${known})`);
      }
    }
    if (routes.value.some((route) => route.type === 'email') && !config.alerts.smtp.host) {
      problems.push('alerts.smtp.host (SMTP_HOST): an e-mail route needs an SMTP server');
    }
  }
  if (problems.length > 0) {
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    const list = problems.map((problem) => `  - ${problem}`).join('\n');
    throw new ExpectedError(`invalid alert configuration (${count}):\n${list}`);
  }
  return { rules: rules.ok ? rules.value : [], routes: routes.ok ? routes.value : [] };
}

/** The e-mail transport (when an SMTP server is configured) and the send timeout; MQTT is added by the worker. */
export async function mailTransport(config: Config):
  Promise<{ transports: Omit<Transports, 'publish'>; close(): void }> {
  const { smtp, sendTimeoutMs } = config.alerts;
  if (!smtp.host) return { transports: { timeoutMs: sendTimeoutMs }, close: () => {} };
  const mail = await createMailTransport(smtp, sendTimeoutMs);
  return {
    transports: { timeoutMs: sendTimeoutMs, mail: { from: mail.from, send: (message) => mail.send(message) } },
    close: () => mail.close(),
  };
}
