import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuiltReport } from './build.js';
import { replaceDirectory } from './swap-dir.js';

/**
 * Where a made report goes: an e-mail (HTML and text parts, each chart an inline cid: image, so it
 * shows in every mail client without loading anything), and/or a directory of its own (index.html with
 * the images beside it). I/O only; the transport is injected.
 */

export interface Mail {
  from?: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  attachments: { filename: string; content: Buffer; cid: string; contentType: string; contentDisposition: 'inline' }[];
}

/** The nodemailer message of a report. */
export function mailOf(report: BuiltReport, from: string): Mail {
  return {
    from, to: report.spec.to, subject: report.subject, text: report.text, html: report.html,
    attachments: report.images.map((i) => ({
      filename: i.filename, content: Buffer.from(i.png), cid: i.cid,
      contentType: 'image/png', contentDisposition: 'inline',
    })),
  };
}

/**
 * Writes the report as `<dir>/index.html` with its images, atomically: `<dir>` is a link to a hidden
 * build written in full first, and a new link is renamed over it (reports/swap-dir.ts), so a reader (a
 * web server, a sync tool) never sees half a report nor none, and a failed write leaves the last one.
 */
export async function writeReportFiles(report: BuiltReport, dir: string): Promise<string> {
  await replaceDirectory(dir, async (build) => {
    await Promise.all(report.images.map((i) => writeFile(join(build, i.filename), i.png)));
    await writeFile(join(build, 'index.html'), report.fileHtml);
    await writeFile(join(build, 'report.txt'), report.text);
  });
  return join(dir, 'index.html');
}

/** The directory of one run: `<directory>/<report>-<YYYY-MM-DD-HHMM of the period's start, UTC>`. */
export function runDirectory(directory: string, report: BuiltReport): string {
  const start = report.period.from.toISOString().slice(0, 16).replace('T', '-').replace(':', '');
  return join(directory, `${report.spec.name}-${start}`);
}
