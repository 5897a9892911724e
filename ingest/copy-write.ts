import { from as copyFrom } from 'pg-copy-streams';
import type { Writable } from 'node:stream';
import { destroySocketOf, pgp, type Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';
import { withTimeout } from '../shared/timeout.js';
import { arrayLiteral } from './array-literal.js';
import { encodeCopyBinary } from './copy-binary.js';
import { seriesKey, type ReadingRow } from './rows.js';

const SQL = {
  copyReadings: pgp.as.format(sqlFile('ingest', 'copy-readings.sql')),
  begin: sqlFile('shared', 'begin.sql'),
  commit: sqlFile('shared', 'commit.sql'),
  rollback: sqlFile('shared', 'rollback.sql'),
};

/** The SQL around the COPY, formatted by the store: what comes before it and what follows in one transaction. */
export interface CopyStatements {
  /** The partitions, then the series upsert returning id, device, sensor, metric (its result is the last). */
  before: string;
  /** Merges the copied readings into the rollups; each argument an array literal, one element per reading. */
  addRollups(ids: string, ts: string, value: string): string;
  /** Devices, rejections, the spool position. */
  after: string[];
}

interface SeriesId { id: number; device: string; sensor: string; metric: string }

/**
 * Writes a batch with its readings sent by binary COPY straight into readings_raw, in one transaction
 * with everything else the batch writes (the spool position included). COPY has no ON CONFLICT: a
 * reading already stored (a redelivery after a crash between commit and PUBACK, or one delivered twice
 * in the batch) aborts it, and this returns false so the store writes the batch the unnest() way, which
 * skips such readings. COPY sees only readings_raw: a redelivered reading of an archived month goes in,
 * and the rollup merge after it (add-rollups.sql) fails the batch with the same 23505, so it is written
 * the unnest() way too (sql/020_archive.sql). Any other failure rolls back and is thrown, for the
 * committer to classify.
 */
export async function writeWithCopy(
  db: Db, readings: readonly ReadingRow[], sql: CopyStatements, timeoutMs: number,
): Promise<boolean> {
  const connection = await db.connect();
  let broken = false;
  try {
    await connection.none(SQL.begin);
    const results = (await connection.multi(sql.before)) as unknown[][];
    const ids = new Map((results.at(-1) as SeriesId[]).map((s) => [seriesKey(s.device, s.sensor, s.metric), s.id]));
    const idOf = (r: ReadingRow) => {
      const id = ids.get(seriesKey(r.device, r.sensor, r.metric));
      if (id === undefined) {
        throw new Error(`series ${r.device}/${r.sensor}/${r.metric} was not returned by the upsert`);
      }
      return id;
    };
    const client = connection.client as unknown as { query(stream: Writable): Writable };
    const copy = client.query(copyFrom(SQL.copyReadings));
    const copied = new Promise<void>((resolve, reject) => {
      copy.on('finish', resolve);
      copy.on('error', reject);
    });
    copy.end(encodeCopyBinary(readings, idOf));
    await withTimeout(copied, timeoutMs, 'COPY of a batch').catch((err: unknown) => {
      if ((err as { code?: string }).code === 'ETIMEDOUT') broken = true;
      throw err;
    });
    // The COPY succeeded, so every reading was new to readings_raw: all of them go into the rollups,
    // unless the archive holds one (then the merge fails with 23505, below).
    const merge = sql.addRollups(
      arrayLiteral(readings.map(idOf)),
      arrayLiteral(readings.map((r) => r.ts.toISOString())),
      arrayLiteral(readings.map((r) => r.value)),
    );
    await connection.multi([merge, ...sql.after].join(';\n'));
    await connection.none(SQL.commit);
    return true;
  } catch (err) {
    if (!broken) await connection.none(SQL.rollback).catch(() => (broken = true));
    if ((err as { code?: string }).code === '23505') return false;
    throw err;
  } finally {
    if (broken) {
      // Destroyed, not ended: ending waits forever on a server that stopped answering, and the
      // pool's end() at shutdown with it.
      destroySocketOf(connection.client);
    }
    void Promise.resolve(connection.done(broken)).catch(() => {});
  }
}
