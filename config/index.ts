import convict from 'convict';
import { readFileSync } from 'node:fs';
import { redactUrl } from '../shared/redact.js';
import { parseSources } from '../shared/sources/spec.js';
import { boundsOf, isBoundedFormat, topicLevels, type BoundedFormat, type Bounds } from './bounds.js';
import { registerFormats } from './formats.js';
import { tierProblems } from './retention-tiers.js';
import { collisions, listenersOf } from './listeners.js';
import { schema, settingsOf } from './schema.js';

registerFormats();

const build = (env: NodeJS.ProcessEnv) => convict(schema, { env, args: [] });
export type Config = ReturnType<ReturnType<typeof build>['getProperties']>;

interface Setting {
  key: string;
  doc: string;
  env: string;
  sensitive: boolean;
  /** The format and allowed range of a whole-number setting (config/bounds.ts). */
  bounded?: { format: BoundedFormat; bounds: Bounds };
}

export interface SettingValue extends Setting {
  value: unknown;
  source: string;
}

/** Every problem found at once, each naming the key, where its value came from and what was expected. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    super(`invalid configuration (${count}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface LoadOptions {
  /** A JSON file whose values override the defaults; environment variables override it in turn. */
  file?: string;
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: Config;
  /** Each setting with its effective value (secrets redacted) and where that value came from. */
  describe(): SettingValue[];
}

export function loadConfig({ file, env = process.env }: LoadOptions = {}): LoadedConfig {
  const fromFile = file ? readConfigFile(file) : {};
  const conf = build(env);
  conf.load(fromFile);
  const settings = listSettings(schema);
  const sourceOf = (key: string): string => {
    // A key below a setting (an object given where a value belongs) came from that setting's source.
    const setting = settings.find((s) => s.key === key || key.startsWith(`${s.key}.`));
    if (setting && env[setting.env] !== undefined) return `env ${setting.env}`;
    if (has(fromFile, key)) return `file ${file}`;
    return 'default';
  };
  try {
    conf.validate({ allowed: 'strict' });
  } catch (err) {
    const shownValue = (key: string): string | undefined => {
      const setting = settings.find((s) => s.key === key);
      return setting && !setting.sensitive ? JSON.stringify(conf.get(key as never)) : undefined;
    };
    const lines = String((err as Error).message).split('\n').filter(Boolean);
    // An object where a value belongs is one problem, not one more per key inside it.
    const overridden = lines.flatMap((l) => /^configuration param '(.+)' missing from config/.exec(l)?.[1] ?? []);
    const inside = (l: string) => overridden.some((key) =>
      l.startsWith(`configuration param '${key}.`) && l.endsWith('not declared in the schema'));
    throw new ConfigError(lines.filter((l) => !inside(l)).map((line) => explain(line, sourceOf, shownValue)));
  }
  const config = conf.getProperties();
  // A list of brokers in a file is kept as MQTT_URL writes it, so the setting has one type everywhere.
  if (Array.isArray(config.mqtt.url)) config.mqtt.url = (config.mqtt.url as string[]).join(',');
  const problems = crossFieldProblems(config, sourceOf, (key) => settings.find((s) => s.key === key)?.env ?? key);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    config,
    describe: () =>
      settings.map((s) => ({ ...s, value: redact(s, conf.get(s.key as never)), source: sourceOf(s.key) })),
  };
}

function readConfigFile(file: string): object {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError([`config file ${file} cannot be read: ${reason}`]);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('expected a JSON object');
    }
    const odd = oddKeys(parsed);
    if (odd.length > 0) {
      throw new ConfigError(odd.map((path) => `${path} (file ${file}): not a setting name (${SEE_EXPLAIN})`));
    }
    return parsed;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError([`config file ${file} is not a JSON object: ${(err as Error).message}`]);
  }
}

const SEE_EXPLAIN = 'see `pimonitor config --explain`';

/** Setting names, and the keys of object-valued settings (metric names in ingest.metricRanges). */
const KEY_NAME = /^[A-Za-z0-9_-]+$/;
/**
 * Keys no setting can have (empty, with dots or spaces): convict reads dots as nesting and fails on
 * such keys with a TypeError of its own, so they are named here before it sees them.
 */
function oddKeys(node: object, prefix = ''): string[] {
  if (Array.isArray(node)) return [];
  return Object.entries(node).flatMap(([key, value]) => {
    const shown = JSON.stringify(key).slice(1, -1) || '""';
    const path = prefix ? `${prefix}.${shown}` : shown;
    if (!KEY_NAME.test(key)) return [path];
    return value !== null && typeof value === 'object' ? oddKeys(value as object, path) : [];
  });
}

/**
 * Rewrites one of convict's error lines to name the value's source, and the value where convict left it out
 * (0, "").
 */
function explain(
  line: string,
  sourceOf: (key: string) => string,
  shownValue: (key: string) => string | undefined,
): string {
  const overridden = /^configuration param '(.+)' missing from config, did you override its parent\?$/.exec(line);
  if (overridden) {
    return `${overridden[1]} (${sourceOf(overridden[1]!)}): must be a single value or a list, not an object`;
  }
  const undeclared = /^configuration param '(.+)' not declared in the schema$/.exec(line)
    ?? /^cannot find configuration param '(.+)'$/.exec(line);
  if (undeclared) return `${undeclared[1]} (${sourceOf(undeclared[1]!)}): not a known setting (${SEE_EXPLAIN})`;
  const keyed = /^([\w.]+): (.*)$/.exec(line);
  if (keyed) {
    // A message that opens with the value as given (config/bounds.ts) does not repeat it after.
    const repeated = /^(.*): value was (.*)$/s.exec(keyed[2]!);
    if (repeated && repeated[1]!.startsWith(`${repeated[2]} `)) {
      return `${keyed[1]} (${sourceOf(keyed[1]!)}): ${repeated[1]}`;
    }
    const shown = shownValue(keyed[1]!);
    const saysValue = keyed[2]!.includes(': value was ') || (shown !== undefined && keyed[2]!.startsWith(`${shown} `));
    const value = saysValue ? undefined : shown;
    return `${keyed[1]} (${sourceOf(keyed[1]!)}): ${keyed[2]}${value === undefined ? '' : `: value was ${value}`}`;
  }
  return line;
}

function listSettings(node: object): Setting[] {
  return settingsOf(node).map(({ key, doc, env, sensitive, format, bounds }) => ({
    key,
    doc: String(doc),
    env: String(env),
    sensitive,
    ...(isBoundedFormat(format) && { bounded: { format, bounds: boundsOf(format, { bounds }) } }),
  }));
}

function has(obj: object, key: string): boolean {
  let cur: unknown = obj;
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, part)) return false;
    cur = (cur as Record<string, unknown>)[part];
  }
  return true;
}

function redact(setting: Setting, value: unknown): unknown {
  if (!setting.sensitive || value === '') return value;
  return typeof value === 'string' && value.includes('://') ? redactUrl(value) : '[redacted]';
}

/** Checks convict cannot express key by key; every problem at once. */
function crossFieldProblems(
  config: Config,
  sourceOf: (key: string) => string,
  envOf: (key: string) => string,
): string[] {
  const problems: string[] = [];
  const named = (key: string) => `${key} (${sourceOf(key)})`;
  // Two listeners on one port: the second fails at start (or, under `pimonitor up`, restarts forever).
  for (const pair of collisions(listenersOf(config))) {
    // Named first is the one set by hand, where a mistake is likelier than in a default.
    const firstIsSetByHand = sourceOf(pair[1].key) === 'default' && sourceOf(pair[0].key) !== 'default';
    const [mine, other] = firstIsSetByHand ? pair : [pair[1], pair[0]];
    problems.push(`${named(mine.key)}: port ${mine.port} on ${mine.host} is also ${other.key}'s `
      + `(${sourceOf(other.key)}, on ${other.host}): two listeners cannot share a port; `
      + `change ${envOf(mine.key)} or ${envOf(other.key)}`);
  }
  if (config.broker.embedded) {
    // The embedded broker refuses a subscription past its limits, and ingest would wait for it forever.
    const sources = parseSources(config.ingest.sources, 'UTC', config.node.discovery.prefix);
    const filters = sources.ok ? sources.value.flatMap((s) => s.filters) : [];
    const deepest = filters.reduce<string | undefined>(
      (a, f) => (a === undefined || topicLevels(f) > topicLevels(a) ? f : a), undefined);
    if (deepest && topicLevels(deepest) > config.broker.maxTopicLevels) {
      problems.push(`${named('broker.maxTopicLevels')}: ${config.broker.maxTopicLevels} is fewer than the `
        + `${topicLevels(deepest)} levels of ${deepest}, which ingest.sources subscribes to; `
        + 'the broker would refuse it');
    }
    const longest = filters.reduce<string | undefined>(
      (a, f) => (a === undefined || f.length > a.length ? f : a), undefined);
    if (longest && longest.length > config.broker.maxTopicLength) {
      problems.push(`${named('broker.maxTopicLength')}: ${config.broker.maxTopicLength} is shorter than ${longest} `
        + `(${longest.length} characters), which ingest.sources subscribes to; the broker would refuse it`);
    }
  }
  // The embedded database serves every process of `pimonitor up`; ingest's pool alone must fit.
  if (config.database.url === '' && config.database.poolSize > config.database.embedded.maxConnections) {
    const { maxConnections } = config.database.embedded;
    problems.push(`${named('database.poolSize')}: ${config.database.poolSize} is more than the ${maxConnections} `
      + `connections of database.embedded.maxConnections (${sourceOf('database.embedded.maxConnections')}): `
      + 'the embedded database would refuse some of ingest\'s');
  }
  // A tier kept less long than the one it is built from rebuilds late hours and days from partial data.
  problems.push(...tierProblems(config.storage, named, envOf));
  const { tls } = config.broker;
  if (tls.enabled) {
    for (const key of ['certFile', 'keyFile'] as const) {
      if (!tls[key]) {
        problems.push(`broker.tls.${key} (${sourceOf(`broker.tls.${key}`)}): `
          + 'is required when broker.tls.enabled is true');
      }
    }
    if (tls.requireClientCert && !tls.caFile) {
      problems.push(`broker.tls.caFile (${sourceOf('broker.tls.caFile')}): `
        + 'is required when broker.tls.requireClientCert is true');
    }
  }
  return problems;
}
