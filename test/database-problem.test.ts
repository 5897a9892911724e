// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import { databaseProblem } from '../shared/database-problem.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });
const at = { url: 'postgres://pi@db.lan:5432/pimonitor', embedded: false };

test('a role, database or password the server refuses is said with what to do, naming the setting', () => {
  expect(databaseProblem(pgError('28000', 'role "pi" does not exist'), at)).toBe(
    'the database at postgres://pi@db.lan:5432/pimonitor refused: role "pi" does not exist; create the role on the ' +
      'server (`sudo -u postgres createuser <user>`) or fix the user in DATABASE_URL (database.url)',
  );
  expect(databaseProblem(pgError('3D000', 'database "pimonitor" does not exist'))).toMatch(
    new RegExp(
      '^the database refused: database "pimonitor" does not exist; ' +
        'create it on the server \\(`sudo -u postgres createdb -O <user> <name>`\\)',
    ),
  );
  expect(databaseProblem(pgError('28P01', 'password authentication failed for user "pi"'), at)).toMatch(
    /check the password in DATABASE_URL/,
  );
});

test(
  'a server that is not there is told apart from the embedded one; an AggregateError (localhost: ::1 and 127.0.0.1) ' +
    'is looked into',
  () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(databaseProblem(refused, at)).toBe(
      'cannot reach the database at postgres://pi@db.lan:5432/pimonitor (ECONNREFUSED): is PostgreSQL running, and ' +
        'is DATABASE_URL right?',
    );
    expect(databaseProblem(refused, { url: 'postgres://postgres@127.0.0.1:5433/postgres', embedded: true })).toMatch(
      /^cannot reach the embedded database .*start it with `pimonitor up`/,
    );
    expect(databaseProblem(new AggregateError([refused, refused]))).toMatch(
      /^cannot reach the database \(ECONNREFUSED\)/,
    );
  },
);

test('anything else is not a database problem, and nothing makes it throw', () => {
  expect(databaseProblem(new Error('a bug'))).toBeNull();
  expect(databaseProblem(pgError('23505', 'duplicate key'))).toBeNull();
  const cycle = new AggregateError([]) as AggregateError & { errors: unknown[] };
  cycle.errors.push(cycle);
  expect(databaseProblem(cycle)).toBeNull();
  fc.assert(
    fc.property(
      fc.anything({ withObjectString: true }),
      fc.record({
        code: fc.oneof(fc.string(), fc.constantFrom('28000', 'ECONNREFUSED', '3D000')), message: fc.anything(),
        errors: fc.anything(),
      }),
      (junk, shaped) => {
        for (const err of [junk, shaped]) {
          const said = databaseProblem(err);
          expect(said === null || typeof said === 'string').toBe(true);
        }
      },
    ),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(2000) },
  );
});
