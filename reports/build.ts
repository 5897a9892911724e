import { NAME_CHARACTERS } from '../shared/contract.js';
import type { Db } from '../shared/db.js';
import { sensorChartSvg } from './chart.js';
import { loadReportData, type ReportData } from './data.js';
import { layoutOf } from './layout.js';
import { periodOf, type Period } from './period.js';
import type { Rasteriser } from './rasterise.js';
import { renderHtml, renderText, type Heading } from './render.js';
import type { ReportSpec } from './spec.js';
import { summarise } from './summary.js';
import { inReportUnits } from './words.js';

/** One run of a report, made: the data read, summarised, laid out, charted and rendered. */

export interface ReportImage {
  cid: string;
  filename: string;
  png: Uint8Array;
}

export interface BuiltReport {
  spec: ReportSpec;
  period: Period;
  subject: string;
  /** HTML for an e-mail, images by cid:. */
  html: string;
  /** HTML for a file, images by their file names beside it. */
  fileHtml: string;
  text: string;
  images: ReportImage[];
  data: ReportData;
  /** Where the time went, in ms: reading the database, drawing, rendering. */
  timings: { queryMs: number; chartsMs: number };
}

export interface BuildOptions {
  /** The time the run was scheduled for: it decides the period. */
  runAt: Date;
  /** Now, for what could not be seen yet (a 'last 24h' report run early). */
  now: Date;
  timeZone: string;
  rasteriser: Rasteriser;
  /** How to send it again, shown at the bottom. */
  command?: string;
}

/** 2: charts stay sharp on high-density screens; 1200 × 440 pixels, shown at 600 × 220. */
export const CHART_SCALE = 2;

export async function buildReport(db: Db, spec: ReportSpec, o: BuildOptions): Promise<BuiltReport> {
  const period = periodOf(spec.period, o.runAt, o.timeZone);
  const started = performance.now();
  const data = inReportUnits(await loadReportData(db, spec, period, o.timeZone, o.now), spec.temperatureUnit);
  const queried = performance.now();
  const layout = layoutOf(data, { timeZone: o.timeZone, temperatureUnit: spec.temperatureUnit });
  const stepMs = data.chartStep === '1h' ? 3_600_000 : 300_000;
  const stamp = o.runAt.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  const images = layout.sections.map((s, i) => ({
    cid: `chart-${i + 1}.${stamp}@pimonitor`,
    filename: `${spec.name}-${i + 1}-${fileSafe(s.device)}-${fileSafe(s.sensor)}.png`,
    png: o.rasteriser.png(sensorChartSvg(s.series, period.from, period.to, stepMs, o.timeZone), CHART_SCALE),
  }));
  const charted = performance.now();
  const summary = summarise(data, o.timeZone);
  const heading: Heading = {
    title: spec.title, period: period.label, timeZone: o.timeZone,
    generatedAt: new Intl.DateTimeFormat('en-GB', { timeZone: o.timeZone, dateStyle: 'medium', timeStyle: 'short' })
      .format(o.now),
    command: o.command ?? `pimonitor report --send-now ${spec.name}`,
  };
  const fired = data.alerts.filter((a) => a.kind === 'fired').length;
  return {
    spec, period, data, images,
    subject: `${spec.title}: ${period.label}${fired ? ` (${fired} alert${fired === 1 ? '' : 's'})` : ''}`,
    html: renderHtml(heading, summary, layout, (i) => `cid:${images[i]!.cid}`),
    fileHtml: renderHtml(heading, summary, layout, (i) => images[i]!.filename),
    text: renderText(heading, summary, layout),
    timings: { queryMs: queried - started, chartsMs: charted - queried },
  };
}

/** A device or sensor name as part of a file name: what a name may not hold becomes _. */
const NOT_A_NAME_CHARACTER = new RegExp(`[^${NAME_CHARACTERS}]`, 'g');
const fileSafe = (s: string) => s.replace(NOT_A_NAME_CHARACTER, '_');
