import { alertTopic } from '../shared/contract.js';
import { withTimeout } from '../shared/timeout.js';
import {
  alertmanagerBody, htmlOf, mqttPayloadOf, ntfyHeaders, subjectOf, textOf, type NotificationEvent,
} from './format.js';
import { readerOf, type Route } from './routes.js';

/** An e-mail as the mailer takes it. */
interface MailMessage {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
}

/** What sending needs from outside: a mailer, an MQTT publish, fetch; each call bounded by `timeoutMs`. */
export interface Transports {
  mail?: { from: string; send(message: MailMessage): Promise<unknown> };
  publish?: (topic: string, payload: string, retain: boolean) => Promise<void>;
  fetch?: typeof fetch;
  timeoutMs: number;
}

/** An HTTP header value in RFC 2047 form when it is not ASCII (ntfy decodes it; raw UTF-8 would be mangled). */
export function headerText(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/**
 * Sends one group (one route, one device) of notifications, in the route's units and time zone; rejects
 * with a reason on any failure.
 */
export async function sendGroup(route: Route, events: readonly NotificationEvent[],
  transports: Transports): Promise<void> {
  const reader = readerOf(route);
  const http = async (url: string, init: RequestInit) => {
    const signal = AbortSignal.timeout(transports.timeoutMs);
    const response = await (transports.fetch ?? fetch)(url, { ...init, signal });
    if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
    await response.body?.cancel();
  };
  switch (route.type) {
    case 'email': {
      const { mail } = transports;
      if (!mail) throw new Error('no SMTP server configured (alerts.smtp)');
      const message = {
        from: mail.from, to: route.to, subject: subjectOf(events, reader), text: textOf(events, reader),
        html: htmlOf(events, reader),
      };
      await withTimeout(mail.send(message), transports.timeoutMs, 'sending e-mail');
      return;
    }
    case 'webhook': {
      const authorization: Record<string, string> =
        route.bearerToken ? { authorization: `Bearer ${route.bearerToken}` } : {};
      return http(route.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...authorization },
        body: JSON.stringify(alertmanagerBody(route.name, events, reader)),
      });
    }
    case 'ntfy': {
      const headers = Object.fromEntries(Object.entries(ntfyHeaders(events, reader))
        .map(([name, value]) => [name, headerText(value)]));
      const authorization: Record<string, string> = route.token ? { authorization: `Bearer ${route.token}` } : {};
      const body = textOf(events, reader);
      return http(route.url, { method: 'POST', headers: { ...headers, ...authorization }, body });
    }
    case 'mqtt': {
      const { publish } = transports;
      if (!publish) throw new Error('not connected to the broker');
      // Each topic's last message is its latest episode's: a group holds events in the order they were
      // stored, and a removed rule's resolution is dated at the restart, after a new firing dated by its reading.
      const byEpisode = [...events].sort((a, b) =>
        episodeOf(a) - episodeOf(b) || Number(a.kind === 'resolved') - Number(b.kind === 'resolved'));
      for (const event of byEpisode) {
        // An episode over before it was notified (a backlog) has nothing to retain, or clear.
        if (event.past_episode) continue;
        const topic = alertTopic(event.rule, event.device, event.sensor || undefined, event.metric || undefined);
        // Retained while firing, so a dashboard that connects later sees it; an empty retained message clears it.
        const payload = event.kind === 'resolved' ? '' : JSON.stringify(mqttPayloadOf(event, reader));
        await withTimeout(publish(topic, payload, true), transports.timeoutMs, 'publishing to the broker');
      }
    }
  }
}

/** When the episode an event belongs to fired (a firing's own time). */
const episodeOf = (event: NotificationEvent) => (event.fired_at ?? event.at).getTime();
