/** Live events from GET /api/events, re-dispatched on one EventTarget as `live` CustomEvents. */
export type LiveEvent =
  | { type: 'reading'; device: string; sensor: string; ts: string; values: Record<string, number> }
  | { type: 'status'; device: string; status: string };

export function connectLive(indicator: HTMLElement): EventTarget {
  const target = new EventTarget();
  const source = new EventSource('/api/events');
  source.onopen = () => {
    indicator.textContent = 'live';
    indicator.classList.add('on');
  };
  source.onerror = () => {
    indicator.textContent = 'reconnecting…';
    indicator.classList.remove('on');
  };
  for (const type of ['reading', 'status']) {
    source.addEventListener(type, (e) =>
      target.dispatchEvent(
        new CustomEvent<LiveEvent>('live', { detail: JSON.parse((e as MessageEvent<string>).data) as LiveEvent }),
      ),
    );
  }
  return target;
}
