import { stateColour } from '../alerts/format.js';
import { CHART_HEIGHT, CHART_WIDTH, colourOf } from './chart.js';
import { escapeHtml as escape } from '../shared/html.js';
import type { Layout } from './layout.js';

/**
 * The two parts of a report e-mail. HTML for mail clients: tables, inline styles, no script and no
 * external resource; images by `src` (cid: in an e-mail, a file beside the preview). Plain text with the
 * same numbers for clients that show no HTML. Pure.
 */

export interface Heading {
  title: string;
  period: string;
  timeZone: string;
  generatedAt: string;
  command: string;
}

const FONT = "-apple-system,'Segoe UI',Helvetica,Arial,sans-serif";
const CARD = 'background:#ffffff;border:1px solid #e3e5e8;border-radius:6px;padding:10px;margin:0 0 12px';
const TH = 'text-align:right;padding:4px;border-bottom:1px solid #e3e5e8;color:#666;font-weight:normal';
const TD = 'text-align:right;padding:3px 4px;border-bottom:1px solid #f0f1f3;vertical-align:top';
const SMALL = 'color:#888;font-size:11px';

/** A table cell of the given style; its text escaped. */
const td = (style: string, html: string) => `<td style="${style}">${html}</td>`;
const COLUMNS = ['min', 'mean', 'max', 'last'];

/** One metric of a section: its name on a row of its own, then its six numbers. */
function metricRows(r: Layout['sections'][number]['rows'][number], j: number): string {
  const twoLines = (top: string, below: string) => `${escape(top)}<br><span style="${SMALL}">${escape(below)}</span>`;
  const name = `<span style="color:${colourOf(r.metric, j)}">&#9632;</span> ${escape(r.metric)}`;
  return [
    `<tr><td colspan="6" style="padding:6px 4px 0;font-weight:bold;font-size:12px">${name}</td></tr>`,
    '<tr>',
    td(TD, twoLines(r.min, r.minAt)),
    td(TD, escape(r.mean)),
    td(TD, twoLines(r.max, r.maxAt)),
    td(TD, escape(r.last)),
    td(TD, escape(r.change)),
    td(TD, twoLines(r.coverage, r.readings)),
    '</tr>',
  ].join('\n');
}

function sectionHtml(layout: Layout, s: Layout['sections'][number], imageSrc: string): string {
  // The metric's name gets a row of its own, so six numbers fit side by side on a 360-pixel phone.
  const rows = s.rows.map(metricRows).join('\n');
  const gapStyle = 'margin:8px 0 0;font-size:12px;color:#a15c00';
  const gaps = s.gaps.length ? `<p style="${gapStyle}">${s.gaps.map(escape).join('<br>')}</p>` : '';
  const alt = escape(`${s.device}/${s.sensor}: ${s.rows.map((r) => r.metric).join(', ')}`);
  const image =
    `<img src="${escape(imageSrc)}" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" alt="${alt}"` +
    ` style="display:block;width:100%;max-width:${CHART_WIDTH}px;height:auto;border:0">`;
  const headings = [...COLUMNS, escape(layout.changeHeading), 'coverage'].map((c) => `<th style="${TH}">${c}</th>`);
  return [
    `<div style="${CARD}">`,
    `<h2 style="font-size:15px;margin:0 0 6px">${escape(s.device)} ` +
      `<span style="color:#888;font-weight:normal">/ ${escape(s.sensor)}</span></h2>`,
    image,
    '<table role="presentation" style="width:100%;border-collapse:collapse;font-size:12px;margin-top:6px">',
    `<tr>${headings.join('')}</tr>`,
    rows,
    `</table>${gaps}`,
    '</div>',
  ].join('\n');
}

function alertsHtml(layout: Layout): string {
  if (layout.alerts.length === 0) return '';
  const left = `${TD};text-align:left`;
  const row = (a: Layout['alerts'][number]) => {
    const colour = stateColour(a.kind, a.severity);
    const note = a.note ? `<br><span style="${SMALL}">${escape(a.note)}</span>` : '';
    return (
      `<tr>${td(`${left};white-space:nowrap`, escape(a.at))}` +
      `${td(`${left};color:${colour}`, escape(a.kind === 'resolved' ? 'resolved' : a.severity))}` +
      `${td(`${left};word-break:break-word`, `${escape(a.message)}${note}`)}</tr>`
    );
  };
  return [
    `<div style="${CARD}">`,
    '<h2 style="font-size:15px;margin:0 0 6px">Alerts</h2>',
    '<table role="presentation" style="width:100%;border-collapse:collapse;font-size:12px">',
    layout.alerts.map(row).join('\n'),
    '</table></div>',
  ].join('\n');
}

function offlineHtml(layout: Layout): string {
  if (layout.offline.length === 0) return '';
  return (
    `<div style="${CARD}"><h2 style="font-size:15px;margin:0 0 6px">Devices offline</h2>` +
    `<p style="margin:0;font-size:13px">${layout.offline.map(escape).join('<br>')}</p></div>`
  );
}

export function renderHtml(
  h: Heading,
  summary: readonly string[],
  layout: Layout,
  imageSrc: (section: number) => string,
): string {
  const page =
    `max-width:${CHART_WIDTH + 40}px;margin:0 auto;padding:12px 6px;font-family:${FONT};` +
    'color:#222;box-sizing:border-box';
  const points = summary.map((l) => `<li>${escape(l)}</li>`).join('');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
      `<title>${escape(`${h.title}: ${h.period}`)}</title></head>`,
    '<body style="margin:0;padding:0;background:#f4f5f7">',
    `<div style="${page}">`,
    `<h1 style="font-size:20px;margin:0 0 2px">${escape(h.title)}</h1>`,
    `<p style="margin:0 0 14px;color:#666;font-size:13px">${escape(h.period)} · ${escape(h.timeZone)}</p>`,
    `<div style="${CARD}"><ul style="margin:0;padding-left:18px;font-size:14px;line-height:1.5">${points}</ul></div>`,
    layout.sections.map((s, i) => sectionHtml(layout, s, imageSrc(i))).join('\n'),
    alertsHtml(layout),
    offlineHtml(layout),
    `<p style="color:#999;font-size:11px;margin:8px 0">Made by pimonitor at ${escape(h.generatedAt)}.` +
      ` Send it again: <code>${escape(h.command)}</code></p>`,
    '</div></body></html>',
    '',
  ].join('\n');
}

export function renderText(h: Heading, summary: readonly string[], layout: Layout): string {
  const out = [`${h.title}: ${h.period} (${h.timeZone})`, '', ...summary.map((l) => `* ${l}`)];
  for (const s of layout.sections) {
    out.push('', `${s.device}/${s.sensor}`);
    for (const r of s.rows) {
      const numbers = `min ${r.min} (${r.minAt}), mean ${r.mean}, max ${r.max} (${r.maxAt}), last ${r.last}`;
      const coverage = `coverage ${r.coverage} (${r.readings} readings)`;
      out.push(`  ${r.metric}: ${numbers}, ${layout.changeHeading} ${r.change}, ${coverage}`);
    }
    for (const g of s.gaps) out.push(`  ${g}`);
  }
  const alertLine = (a: Layout['alerts'][number]) =>
    `  ${a.at}  ${a.kind === 'resolved' ? 'resolved' : a.severity}  ${a.message}${a.note ? ` (${a.note})` : ''}`;
  if (layout.alerts.length) out.push('', 'Alerts', ...layout.alerts.map(alertLine));
  if (layout.offline.length) out.push('', 'Devices offline', ...layout.offline.map((o) => `  ${o}`));
  out.push('', `Made by pimonitor at ${h.generatedAt}. Send it again: ${h.command}`, '');
  return out.join('\n');
}
