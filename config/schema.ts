import { alerts } from './alerts.js';
import type { Bounds } from './bounds.js';
import { broker } from './broker.js';
import { common } from './common.js';
import { database } from './database.js';
import { ingest } from './ingest.js';
import { mqtt } from './mqtt.js';
import { node } from './node.js';
import { reports } from './reports.js';
import { storage } from './storage.js';
import { web } from './web.js';

/**
 * One schema, a section per component, so one file can configure every process under strict validation.
 * The loader (config/index.ts) validates against it; the reference (config/reference.ts) renders SECTIONS,
 * which list the same schemas in the same order (test/config-reference.test.ts holds them to it).
 */
export const schema = {
  ...common, ...database, ...broker, ...mqtt, ...ingest, ...storage, ...alerts, ...reports, ...web, ...node,
};

export interface SchemaSection {
  /** The section's heading in docs/configuration.md. */
  title: string;
  /** The file the schema is in, relative to the repository. */
  file: string;
  /** One sentence on which processes read these settings. */
  about: string;
  schema: object;
}

export const SECTIONS: readonly SchemaSection[] = [
  { title: 'Data directory and logging', file: 'config/common.ts', schema: common,
    about: 'Read by every process.' },
  { title: 'Database', file: 'config/database.ts', schema: database,
    about: 'Where readings are stored: PostgreSQL, or the embedded PGlite database that `pimonitor up` runs.' },
  { title: 'MQTT broker', file: 'config/broker.ts', schema: broker,
    about: 'The embedded broker (`pimonitor up`, `pimonitor broker`): its listeners, persistence and limits.' },
  { title: 'MQTT client', file: 'config/mqtt.ts', schema: mqtt,
    about: 'The broker that ingest, the alerts worker, the web server and sensor nodes connect to.' },
  { title: 'Ingest', file: 'config/ingest.ts', schema: ingest,
    about: 'The ingest worker (`pimonitor ingest`, started by `pimonitor up`): MQTT readings into the database.' },
  { title: 'Storage and retention', file: 'config/storage.ts', schema: storage,
    about: 'How long each tier of data is kept, and the maintenance job ingest runs; read by ingest and the CLI.' },
  { title: 'Alerts', file: 'config/alerts.ts', schema: alerts,
    about: 'The alerts worker: rules, where notifications go, and the SMTP server for e-mail (reports use it too).' },
  { title: 'Reports', file: 'config/reports.ts', schema: reports,
    about: 'Scheduled reports: what each contains, when it goes, and to whom.' },
  { title: 'Web server', file: 'config/web.ts', schema: web,
    about: 'The dashboard and JSON API (`pimonitor web`, started by `pimonitor up`).' },
  { title: 'Sensor node', file: 'config/node.ts', schema: node,
    about: 'A sensor node (`pimonitor node`): its sensors, outbox and Home Assistant discovery.' },
];

/** One setting as its schema declares it (convict: a leaf is an object with a `default`). */
export interface SchemaSetting {
  key: string;
  doc?: string;
  env?: string;
  format: unknown;
  default: unknown;
  sensitive: boolean;
  /** Said instead of a default computed on the machine that renders (the hostname). */
  defaultText?: string;
  bounds?: Partial<Bounds>;
}

interface Leaf {
  doc?: unknown;
  env?: unknown;
  format?: unknown;
  default: unknown;
  sensitive?: unknown;
  defaultText?: unknown;
  bounds?: Partial<Bounds>;
}

/** Every setting of a schema (or a section of it) in the schema's order, keyed by its dotted path. */
export function settingsOf(schema: object, prefix = ''): SchemaSetting[] {
  return Object.entries(schema).flatMap(([name, spec]: [string, unknown]): SchemaSetting[] => {
    const key = prefix ? `${prefix}.${name}` : name;
    if (spec === null || typeof spec !== 'object') return [];
    if (!('default' in spec)) return settingsOf(spec, key);
    const leaf = spec as Leaf;
    return [{
      key,
      ...(typeof leaf.doc === 'string' && leaf.doc.trim() !== '' && { doc: leaf.doc }),
      ...(typeof leaf.env === 'string' && leaf.env !== '' && { env: leaf.env }),
      format: leaf.format,
      default: leaf.default,
      sensitive: leaf.sensitive === true,
      ...(typeof leaf.defaultText === 'string' && { defaultText: leaf.defaultText }),
      ...(leaf.bounds && { bounds: leaf.bounds }),
    }];
  });
}
