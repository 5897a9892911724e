// @engine-independent: opens no database (jest.config.js)
import type uPlot from 'uplot';
import { breakGaps, counted } from '../ui/chart-scale.js';

test('a pause much longer than the usual step breaks the line with a null row; a steady series is left alone', () => {
  const hourly = [0, 3600, 7200, 10800, 950_400, 954_000];
  expect(breakGaps([hourly, [1, 2, 3, 4, 5, 6]] as uPlot.AlignedData)).toEqual([
    [0, 3600, 7200, 10800, 480_600, 950_400, 954_000], [1, 2, 3, 4, null, 5, 6],
  ]);
  const steady: uPlot.AlignedData = [[0, 10, 20, 31, 40], [1, 2, 3, 4, 5]];
  expect(breakGaps(steady)).toBe(steady);
  // Every column gets its null, min and max too; two readings cannot say what is usual.
  expect(
    breakGaps([
      [0, 1, 2, 100], [1, 1, 1, 1], [0, 0, 0, 0], [2, 2, 2, 2],
    ] as uPlot.AlignedData),
  ).toEqual([
    [0, 1, 2, 51, 100], [1, 1, 1, null, 1], [0, 0, 0, null, 0], [2, 2, 2, null, 2],
  ]);
  expect(breakGaps([[0, 1000], [1, 2]] as uPlot.AlignedData)).toEqual([[0, 1000], [1, 2]]);
});

test('counts read as people say them', () => {
  expect([counted(0, 'point'), counted(1, 'point'), counted(2, 'point')]).toEqual(['0 points', '1 point', '2 points']);
});
