// @engine-independent: opens no database (jest.config.js)
import { jest } from '@jest/globals';
import { testWhen } from './support/services.js';

// A test skipped for want of a service says so where `npm test` shows it: jest drops console output
// of a file whose tests are all skipped when it runs several files, so the line goes to stderr.
test('a skip for a missing service writes its line to stderr', () => {
  const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(testWhen('nats-server is missing; install it', 'the probe', false)).toBe(test.skip);
    expect(write.mock.calls.map((c) => String(c[0]))).toContain(
      'skipping the probe: nats-server is missing; install it\n',
    );
  } finally {
    write.mockRestore();
  }
  expect(() => testWhen('nats-server is missing', 'the probe', true)).toThrow(
    'the probe: nats-server is missing (CI=true requires it)',
  );
  expect(testWhen(null, 'the probe', false)).toBe(test);
});
