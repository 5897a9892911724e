import type { Command } from 'commander';
import { configOption } from './options.js';
import type { LoadedConfig } from '../config/index.js';
import { ExpectedError } from '../shared/expected-error.js';
import { formatTable } from './text-output.js';
import { withMigratedDatabase } from './with-database.js';
import type { EventRow } from '../alerts/words.js';

type Load = (o: { config?: string }) => LoadedConfig;

/** `pimonitor alerts [run|list|test|check]`. */
export function addAlertsCommands(program: Command, load: Load): void {
  const alerts = program.command('alerts').description('alert rules: run the worker (default), list what fires, send a test, check the configuration');

  alerts.command('run', { isDefault: true })
    .description('run the alerts worker: evaluate the rules on the readings, keep state, send notifications')
    .addOption(configOption())
    .action(async (o: { config?: string }) => (await import('../alerts/main.js')).runAlerts(load(o).config));

  alerts.command('check')
    .description('check the rules and routes of the configuration, naming every problem')
    .addOption(configOption())
    .action(async (o: { config?: string }) => {
      const { rules, routes } = (await import('../alerts/setup.js')).alertsSetup(load(o).config);
      console.log(`${rules.length} rule${rules.length === 1 ? '' : 's'} (${rules.map((r) => `${r.name}: ${r.type}`).join(', ') || 'none'}), ${routes.length} route${routes.length === 1 ? '' : 's'} (${routes.map((r) => `${r.name}: ${r.type}`).join(', ') || 'none'}): no problems`);
    });

  alerts.command('list')
    .description('alerts that are pending, firing or recovering now, and the latest events')
    .addOption(configOption())
    .option('--json', 'print JSON instead of tables')
    .option('--tz <zone>', 'time zone of the times printed (IANA name); default: this machine\'s')
    .option('--temperature-unit <unit>', 'C or F: the unit temperatures are given in', 'C')
    .action(async (o: { config?: string; json?: boolean; tz?: string; temperatureUnit: string }) => {
      const { isTimeZone, machineTimeZone } = await import('../shared/time-zone.js');
      const { isTemperatureUnit } = await import('../shared/units.js');
      const { instantOf, sentenceOf } = await import('../alerts/words.js');
      const timeZone = o.tz ?? machineTimeZone();
      if (!isTimeZone(timeZone)) throw new ExpectedError(`--tz "${timeZone.slice(0, 60)}" is not a time zone; use an IANA name such as Europe/Berlin or UTC`);
      if (!isTemperatureUnit(o.temperatureUnit)) throw new ExpectedError(`--temperature-unit must be C or F (was "${o.temperatureUnit.slice(0, 20)}")`);
      const reader = { temperatureUnit: o.temperatureUnit, timeZone };
      const { active, rows } = await withMigratedDatabase(load(o).config, 'pimonitor-alerts-list', async (db) => ({
        active: await db.any<{ rule: string; device: string; sensor: string; metric: string; phase: string; started_at: Date; value: number }>('SELECT rule, device, sensor, metric, phase, started_at, value FROM alert_state ORDER BY started_at'),
        rows: await db.any<EventRow & { inhibited: boolean; sent: number; pending: number }>(`
          SELECT e.*,
            (SELECT count(*)::int FROM alert_notifications n WHERE n.event_id = e.id AND n.sent_at IS NOT NULL) AS sent,
            (SELECT count(*)::int FROM alert_notifications n WHERE n.event_id = e.id AND n.sent_at IS NULL AND n.gave_up_at IS NULL) AS pending
          FROM alert_events e ORDER BY e.id DESC LIMIT 20`),
      }));
      // Each event in words in the units and zone asked for (alerts/words.ts); why it resolved, when not by its condition.
      const events = rows.map((e) => ({ at: e.at, kind: e.kind, severity: e.severity, reason: e.reason ?? null, pastEpisode: e.past_episode ?? false, inhibited: e.inhibited, sent: e.sent, pending: e.pending, message: e.message, text: sentenceOf(e, reader) }));
      if (o.json) return console.log(JSON.stringify({ active, events }, null, 2));
      console.log(active.length === 0 ? 'nothing pending or firing.' : formatTable(['rule', 'alert on', 'state', 'since', 'value'],
        active.map((a) => [a.rule, [a.device, a.sensor, a.metric].filter(Boolean).join('/'), a.phase, instantOf(a.started_at, reader), String(a.value)])));
      if (events.length > 0) {
        console.log('\nlatest events:');
        console.log(formatTable(['at', 'event', 'severity', 'notifications', 'message'],
          events.map((e) => [instantOf(e.at, reader), e.pastEpisode ? 'past episode' : e.reason ? `${e.kind} (${e.reason})` : e.kind, e.severity, e.inhibited ? 'inhibited (device offline)' : `${e.sent} sent, ${e.pending} waiting`, e.text])));
      }
    });

  alerts.command('test')
    .description('send a sample notification of a rule through each route it takes, and say how each went')
    .requiredOption('--rule <name>', 'the rule to test')
    .addOption(configOption())
    .action(async (o: { config?: string; rule: string }) => {
      const { config } = load(o);
      const { alertsSetup, mailTransport } = await import('../alerts/setup.js');
      const { sendGroup } = await import('../alerts/senders.js');
      const { sampleEvent } = await import('../alerts/sample.js');
      const { readerOf } = await import('../alerts/routes.js');
      const { sentenceOf } = await import('../alerts/words.js');
      const { rules, routes } = alertsSetup(config);
      const rule = rules.find((r) => r.name === o.rule);
      if (!rule) throw new ExpectedError(`there is no rule called ${o.rule} (rules: ${rules.map((r) => r.name).join(', ') || 'none'})`);
      const chosen = routes.filter((r) => (rule.routes ? rule.routes.includes(r.name) : r.severities.includes(rule.severity)));
      if (chosen.length === 0) throw new ExpectedError(`rule ${rule.name} (${rule.severity}) goes to no route; add one to alerts.routes`);
      const mail = await mailTransport(config);
      const mqtt = chosen.some((r) => r.type === 'mqtt') ? await (await import('../shared/mqtt-connect.js')).connectMqttOnce(config.mqtt.url, { connectTimeout: 5000, username: config.mqtt.username || undefined, password: config.mqtt.password || undefined }) : undefined;
      let failed = 0;
      try {
        const event = sampleEvent(rule, new Date());
        for (const route of chosen) {
          try {
            // A test message is not retained: it must not stay on the broker as if the alert fired.
            const publish = mqtt ? async (topic: string, payload: string) => void (await mqtt.publishAsync(topic, payload, { qos: 1 })) : undefined;
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
      if (failed > 0) throw new ExpectedError(`${failed} of ${chosen.length} route${chosen.length === 1 ? '' : 's'} failed`);
    });
}
