import { alertTopic } from '../shared/contract.js';
import { withTimeout } from '../shared/timeout.js';
import { alertmanagerBody, htmlOf, mqttPayloadOf, ntfyHeaders, subjectOf, textOf, type NotificationEvent } from './format.js';
import { readerOf, type Route } from './routes.js';

/** What sending needs from outside: a mailer, an MQTT publish, fetch; each call bounded by `timeoutMs`. */
export interface Transports {
  mail?: { from: string; send(message: { from: string; to: string[]; subject: string; text: string; html: string }): Promise<unknown> };
  publish?: (topic: string, payload: string, retain: boolean) => Promise<void>;
  fetch?: typeof fetch;
  timeoutMs: number;
}

/** An HTTP header value in RFC 2047 form when it is not ASCII (ntfy decodes it; raw UTF-8 would be mangled). */
export function headerText(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** Sends one group (one route, one device) of notifications, in the route's units and time zone; rejects with a reason on any failure. */
export async function sendGroup(route: Route, events: readonly NotificationEvent[], t: Transports): Promise<void> {
  const reader = readerOf(route);
  const http = async (url: string, init: RequestInit) => {
    const res = await (t.fetch ?? fetch)(url, { ...init, signal: AbortSignal.timeout(t.timeoutMs) });
    if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
    await res.body?.cancel();
  };
  switch (route.type) {
    case 'email': {
      if (!t.mail) throw new Error('no SMTP server configured (alerts.smtp)');
      await withTimeout(t.mail.send({ from: t.mail.from, to: route.to, subject: subjectOf(events, reader), text: textOf(events, reader), html: htmlOf(events, reader) }), t.timeoutMs, 'sending e-mail');
      return;
    }
    case 'webhook':
      return http(route.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(route.bearerToken ? { authorization: `Bearer ${route.bearerToken}` } : {}) },
        body: JSON.stringify(alertmanagerBody(route.name, events, reader)),
      });
    case 'ntfy': {
      const headers = Object.fromEntries(Object.entries(ntfyHeaders(events, reader)).map(([k, v]) => [k, headerText(v)]));
      return http(route.url, { method: 'POST', headers: { ...headers, ...(route.token ? { authorization: `Bearer ${route.token}` } : {}) }, body: textOf(events, reader) });
    }
    case 'mqtt': {
      if (!t.publish) throw new Error('not connected to the broker');
      // Each topic's last message is its latest episode's: a group holds events in the order they were
      // stored, and a removed rule's resolution is dated at the restart, after a new firing dated by its reading.
      const byEpisode = [...events].sort((a, b) => episodeOf(a) - episodeOf(b) || Number(a.kind === 'resolved') - Number(b.kind === 'resolved'));
      for (const e of byEpisode) {
        // An episode over before it was notified (a backlog) has nothing to retain, or clear.
        if (e.past_episode) continue;
        const topic = alertTopic(e.rule, e.device, e.sensor || undefined, e.metric || undefined);
        // Retained while firing, so a dashboard that connects later sees it; an empty retained message clears it.
        const payload = e.kind === 'resolved' ? '' : JSON.stringify(mqttPayloadOf(e, reader));
        await withTimeout(t.publish(topic, payload, true), t.timeoutMs, 'publishing to the broker');
      }
    }
  }
}

/** When the episode an event belongs to fired (a firing's own time). */
const episodeOf = (e: NotificationEvent) => (e.fired_at ?? e.at).getTime();
