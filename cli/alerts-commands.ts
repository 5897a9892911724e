import type { Command } from 'commander';
import { configOption, tzOption, zoneOfTzOption, type LoadConfig } from './options.js';
import { ExpectedError } from '../shared/expected-error.js';
import { formatTable } from './text-output.js';
import { withMigratedDatabase } from './with-database.js';

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
const namesAndTypes = (items: ReadonlyArray<{ name: string; type: string }>) =>
  items.map((item) => `${item.name}: ${item.type}`).join(', ') || 'none';

/** `pimonitor alerts [run|list|test|check]`. */
export function addAlertsCommands(program: Command, load: LoadConfig): void {
  const alerts = program.command('alerts')
    .description('alert rules: run the worker (default), list what fires, send a test, check the configuration');

  alerts.command('run', { isDefault: true })
    .description('run the alerts worker: evaluate the rules on the readings, keep state, send notifications')
    .addOption(configOption())
    .action(async (options: { config?: string }) =>
      (await import('../alerts/main.js')).runAlerts(load(options).config));

  alerts.command('check')
    .description('check the rules and routes of the configuration, naming every problem')
    .addOption(configOption())
    .action(async (options: { config?: string }) => {
      const { rules, routes } = (await import('../alerts/setup.js')).alertsSetup(load(options).config);
      console.log(`${plural(rules.length, 'rule')} (${namesAndTypes(rules)}), `
        + `${plural(routes.length, 'route')} (${namesAndTypes(routes)}): no problems`);
    });

  alerts.command('list')
    .description('alerts that are pending, firing or recovering now, and the latest events')
    .addOption(configOption())
    .option('--json', 'print JSON instead of tables')
    .addOption(tzOption())
    .option('--temperature-unit <unit>', 'C or F: the unit temperatures are given in', 'C')
    .action(async (options: { config?: string; json?: boolean; tz?: string; temperatureUnit: string }) => {
      const { isTemperatureUnit } = await import('../shared/units.js');
      const { instantOf, sentenceOf } = await import('../alerts/words.js');
      const { listAlerts } = await import('../alerts/list-store.js');
      const timeZone = zoneOfTzOption(options.tz);
      const { temperatureUnit } = options;
      if (!isTemperatureUnit(temperatureUnit)) {
        throw new ExpectedError(`--temperature-unit must be C or F (was "${temperatureUnit.slice(0, 20)}")`);
      }
      const reader = { temperatureUnit, timeZone };
      const { config } = load(options);
      const { active, rows } = await withMigratedDatabase(config, 'pimonitor-alerts-list', (db) => listAlerts(db));
      // Each event in words in the units and zone asked for (alerts/words.ts); why it resolved, when not by its
      // condition.
      const events = rows.map((row) => ({
        at: row.at, kind: row.kind, severity: row.severity, reason: row.reason ?? null,
        pastEpisode: row.past_episode ?? false, inhibited: row.inhibited, sent: row.sent, pending: row.pending,
        message: row.message, text: sentenceOf(row, reader),
      }));
      if (options.json) return console.log(JSON.stringify({ active, events }, null, 2));
      const alertOn = (alert: (typeof active)[number]) =>
        [alert.device, alert.sensor, alert.metric].filter(Boolean).join('/');
      console.log(active.length === 0 ? 'nothing pending or firing.' : formatTable(
        ['rule', 'alert on', 'state', 'since', 'value'],
        active.map((alert) =>
          [alert.rule, alertOn(alert), alert.phase, instantOf(alert.started_at, reader), String(alert.value)])));
      if (events.length > 0) {
        console.log('\nlatest events:');
        const kindOf = (event: (typeof events)[number]) =>
          (event.pastEpisode ? 'past episode' : event.reason ? `${event.kind} (${event.reason})` : event.kind);
        const notificationsOf = (event: (typeof events)[number]) =>
          (event.inhibited ? 'inhibited (device offline)' : `${event.sent} sent, ${event.pending} waiting`);
        console.log(formatTable(['at', 'event', 'severity', 'notifications', 'message'],
          events.map((event) =>
            [instantOf(event.at, reader), kindOf(event), event.severity, notificationsOf(event), event.text])));
      }
    });

  alerts.command('test')
    .description('send a sample notification of a rule through each route it takes, and say how each went')
    .requiredOption('--rule <name>', 'the rule to test')
    .addOption(configOption())
    .action(async (options: { config?: string; rule: string }) => {
      const { config } = load(options);
      const { alertsSetup, mailTransport } = await import('../alerts/setup.js');
      const { sendGroup } = await import('../alerts/senders.js');
      const { sampleEvent } = await import('../alerts/sample.js');
      const { readerOf } = await import('../alerts/routes.js');
      const { sentenceOf } = await import('../alerts/words.js');
      const { rules, routes } = alertsSetup(config);
      const rule = rules.find((candidate) => candidate.name === options.rule);
      if (!rule) {
        const names = rules.map((candidate) => candidate.name).join(', ') || 'none';
        throw new ExpectedError(`there is no rule called ${options.rule} (rules: ${names})`);
      }
      const chosen = routes.filter((route) =>
        (rule.routes ? rule.routes.includes(route.name) : route.severities.includes(rule.severity)));
      if (chosen.length === 0) {
        throw new ExpectedError(`rule ${rule.name} (${rule.severity}) goes to no route; add one to alerts.routes`);
      }
      const mail = await mailTransport(config);
      const connectOnce = async () => (await import('../shared/mqtt-connect.js')).connectMqttOnce(config.mqtt.url, {
        connectTimeout: 5000, username: config.mqtt.username || undefined, password: config.mqtt.password || undefined,
      });
      const mqtt = chosen.some((route) => route.type === 'mqtt') ? await connectOnce() : undefined;
      let failed = 0;
      try {
        const event = sampleEvent(rule, new Date());
        for (const route of chosen) {
          try {
            // A test message is not retained: it must not stay on the broker as if the alert fired.
            const publish = mqtt
              ? async (topic: string, payload: string) => void (await mqtt.publishAsync(topic, payload, { qos: 1 }))
              : undefined;
            await sendGroup(route, [event], { ...mail.transports, publish });
            console.log(`${route.name} (${route.type}): sent "${sentenceOf(event, readerOf(route))}"`);
          } catch (err) {
            failed++;
            console.log(`${route.name} (${route.type}): failed: ${(err as Error).message}`);
          }
        }
      } finally {
        mail.close();
        await mqtt?.endAsync();
      }
      if (failed > 0) throw new ExpectedError(`${failed} of ${plural(chosen.length, 'route')} failed`);
    });
}
