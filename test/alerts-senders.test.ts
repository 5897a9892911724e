// @engine-independent: opens no database (jest.config.js)
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import mqtt from 'mqtt';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { startBroker } from '../broker/broker.js';
import { htmlOf, subjectOf, textOf, type NotificationEvent } from '../alerts/format.js';
import { parseRoutes, type Route } from '../alerts/routes.js';
import { headerText, sendGroup, type Transports } from '../alerts/senders.js';
import { createLogger } from '../shared/log.js';

const started = new Date('2026-11-20T12:00:00Z');
const fired: NotificationEvent = {
  kind: 'fired',
  at: new Date('2026-11-20T12:05:00Z'),
  rule: 'hot',
  device: 'kitchen',
  sensor: 'dht22',
  metric: 'temperature',
  severity: 'critical',
  value: 31.2,
  message: 'kitchen/dht22 temperature 31.2 °C above 30 °C for 5 min',
  labels: { room: 'kitchen' },
  started_at: started,
  fired_at: null,
  // Its facts (schema 13): each route words it from these, in its own units.
  condition: 'above', threshold_lo: null, threshold_hi: 30, clear_lo: null, clear_hi: 29, unit: '°C', template: null,
};
const resolved: NotificationEvent = {
  ...fired,
  kind: 'resolved',
  at: new Date('2026-11-20T12:20:00Z'),
  value: 28.5,
  message: 'kitchen/dht22 temperature back to 28.5 °C (below 29 °C) after 20 min',
  fired_at: fired.at,
};
const route = (raw: object): Route => {
  const parsed = parseRoutes([raw]);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.value[0]!;
};

/** A local HTTP receiver that keeps what it is sent, answering `status`. */
async function receiver(status = 200) {
  const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

test('e-mail through a real SMTP server: the subject says what, where and how much; text and HTML parts', async () => {
  const mails: Buffer[] = [];
  const smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, _session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => (mails.push(Buffer.concat(chunks)), done()));
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    connectionTimeout: 5000,
    greetingTimeout: 5000,
    socketTimeout: 5000,
  });
  try {
    const transports: Transports = {
      timeoutMs: 5000,
      mail: { from: 'pimonitor@home.lan', send: (m) => transport.sendMail(m) },
    };
    const mailUtc = route({ name: 'mail', type: 'email', to: ['me@example.com'], timeZone: 'UTC' });
    await sendGroup(mailUtc, [fired], transports);
    const mail = await simpleParser(mails[0]!);
    expect(mail.subject).toBe('[critical] kitchen/dht22 temperature 31.2 °C above 30 °C for 5 min');
    expect(mail.text).toContain('rule hot, critical, since 2026-11-20T12:00:00Z');
    expect(mail.html).toContain('kitchen/dht22 temperature 31.2 °C above 30 °C for 5 min');
    expect(mail.to).toMatchObject({ text: 'me@example.com' });

    const humid: NotificationEvent = { ...fired, rule: 'humid', metric: 'humidity', severity: 'warning' };
    await sendGroup(route({ name: 'mail', type: 'email', to: ['me@example.com'] }), [resolved, humid], transports);
    expect((await simpleParser(mails[1]!)).subject).toBe('[critical] kitchen: 1 firing, 1 resolved');
    // A resolution reads as one, in the route's units and zone (issue 24, item 5).
    const mailUs = route({
      name: 'mail',
      type: 'email',
      to: ['me@example.com'],
      temperatureUnit: 'F',
      timeZone: 'America/New_York',
    });
    await sendGroup(mailUs, [resolved], transports);
    const us = await simpleParser(mails[2]!);
    expect(us.subject).toBe('[critical] kitchen/dht22 temperature back to 83.3 °F (below 84.2 °F) after 20 min');
    expect(us.text).toContain(
      'rule hot, critical, since 2026-11-20T07:00:00-05:00, resolved 2026-11-20T07:20:00-05:00',
    );
  } finally {
    transport.close();
    await new Promise((resolve) => smtp.close(() => resolve(undefined)));
  }
}, 20_000);

test('a past episode says when it was, in the route\'s zone and units; its text says when it ended', () => {
  const episode: NotificationEvent = { ...resolved, past_episode: true };
  const reader = { temperatureUnit: 'F', timeZone: 'Europe/Berlin' } as const;
  expect(subjectOf([episode], reader)).toBe('[critical] kitchen/dht22 temperature was above 86 °F from 13:00 to 13:20');
  expect(textOf([episode], reader).split('\n')[1]).toBe(
    '  rule hot, critical, since 2026-11-20T13:00:00+01:00, ended 2026-11-20T13:20:00+01:00',
  );
  expect(htmlOf([episode], reader)).toContain('>past episode<');
});

test('webhook: an Alertmanager-shaped body with a bearer token; a failing receiver is an error', async () => {
  const hook = await receiver();
  const failing = await receiver(503);
  try {
    const hookRoute = route({ name: 'hook', type: 'webhook', url: hook.url, bearerToken: 's3cret' });
    await sendGroup(hookRoute, [fired, resolved], { timeoutMs: 5000 });
    expect(hook.received[0]!.headers.authorization).toBe('Bearer s3cret');
    const body = JSON.parse(hook.received[0]!.body);
    expect(body).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'hook',
      groupLabels: { device: 'kitchen' },
      commonLabels: { alertname: 'hot', device: 'kitchen' },
    });
    expect(body.alerts).toEqual([
      {
        status: 'firing',
        labels: {
          alertname: 'hot',
          device: 'kitchen',
          sensor: 'dht22',
          metric: 'temperature',
          severity: 'critical',
          room: 'kitchen',
        },
        annotations: { summary: fired.message, value: '31.2', unit: '°C', condition: 'above', threshold: '30' },
        startsAt: '2026-11-20T12:00:00.000Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: 'hot/kitchen/dht22/temperature',
      },
      expect.objectContaining({
        status: 'resolved',
        endsAt: '2026-11-20T12:20:00.000Z',
        annotations: {
          summary: 'kitchen/dht22 temperature back to 28.5 °C (below 29 °C) after 20 min',
          value: '28.5',
          unit: '°C',
          condition: 'above',
          threshold: '30',
        },
      }),
    ]);
    // In °F the words and the quantities convert; startsAt and endsAt stay UTC, as Alertmanager's.
    const hookInF = route({ name: 'hook', type: 'webhook', url: hook.url, temperatureUnit: 'F' });
    await sendGroup(hookInF, [fired], { timeoutMs: 5000 });
    expect(JSON.parse(hook.received[1]!.body).alerts[0]).toMatchObject({
      annotations: {
        summary: 'kitchen/dht22 temperature 88.2 °F above 86 °F for 5 min',
        value: '88.16',
        unit: '°F',
        condition: 'above',
        threshold: '86',
      },
      startsAt: '2026-11-20T12:00:00.000Z',
    });
    const failingRoute = route({ name: 'hook', type: 'webhook', url: failing.url });
    await expect(sendGroup(failingRoute, [fired], { timeoutMs: 5000 })).rejects.toThrow(
      `${failing.url} answered HTTP 503`,
    );
  } finally {
    await hook.close();
    await failing.close();
  }
});

test('ntfy: title, priority and tags headers, the title encoded when it is not ASCII', async () => {
  const ntfy = await receiver();
  try {
    await sendGroup(route({ name: 'phone', type: 'ntfy', url: ntfy.url }), [fired], { timeoutMs: 5000 });
    const { headers, body } = ntfy.received[0]!;
    expect(headers.title).toBe(headerText('[critical] kitchen/dht22 temperature 31.2 °C above 30 °C for 5 min'));
    const encodedTitle = /=\?UTF-8\?B\?(.*)\?=/.exec(String(headers.title))![1]!;
    expect(Buffer.from(encodedTitle, 'base64').toString()).toBe(
      '[critical] kitchen/dht22 temperature 31.2 °C above 30 °C for 5 min',
    );
    expect([headers.priority, headers.tags]).toEqual(['5', 'rotating_light']);
    expect(body).toContain(fired.message);
    await sendGroup(route({ name: 'phone', type: 'ntfy', url: ntfy.url }), [resolved], { timeoutMs: 5000 });
    const resolvedHeaders = ntfy.received[1]!.headers;
    expect([resolvedHeaders.priority, resolvedHeaders.tags]).toEqual(['3', 'white_check_mark']);
  } finally {
    await ntfy.close();
  }
});

test(
  'MQTT: retained while firing, cleared on resolve, so a client that connects later sees only what fires',
  async () => {
    const broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
    const alerts = await mqtt.connectAsync(broker.url, { clientId: 'alerts-under-test' });
    try {
      const publish = async (topic: string, payload: string, retain: boolean) =>
        void (await alerts.publishAsync(topic, payload, { qos: 1, retain }));
      await sendGroup(route({ name: 'ha', type: 'mqtt' }), [fired], { timeoutMs: 5000, publish });
      const late = await mqtt.connectAsync(broker.url, { clientId: 'home-assistant' });
      const got = new Promise<[string, string]>((resolve) =>
        late.once('message', (topic, payload) => resolve([topic, payload.toString()])),
      );
      await late.subscribeAsync('pimonitor/alerts/#', { qos: 1 });
      const [topic, payload] = await got;
      expect(topic).toBe('pimonitor/alerts/hot/kitchen/dht22/temperature');
      expect(JSON.parse(payload)).toMatchObject({
        rule: 'hot',
        device: 'kitchen',
        severity: 'critical',
        value: 31.2,
        unit: '°C',
        condition: 'above',
        threshold: 30,
        message: fired.message,
      });
      await late.endAsync();

      await sendGroup(route({ name: 'ha', type: 'mqtt' }), [resolved], { timeoutMs: 5000, publish });
      const after = await mqtt.connectAsync(broker.url, { clientId: 'home-assistant-2' });
      const retained: string[] = [];
      after.on('message', (t) => retained.push(t));
      await after.subscribeAsync('pimonitor/alerts/#', { qos: 1 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(retained).toEqual([]);
      await after.endAsync();
    } finally {
      await alerts.endAsync();
      await broker.stop();
    }
  },
);
