/**
 * Prints the ten slowest test files when jest finishes, so a suite that grows slow says where (issue 28:
 * "measure first"). Plain JavaScript: jest loads reporters without ts-jest.
 */
export default class SlowestFilesReporter {
  onRunComplete(_contexts, results) {
    const files = results.testResults
      .map((r) => ({
        file: r.testFilePath.replace(`${process.cwd()}/`, ''), seconds: (r.perfStats.end - r.perfStats.start) / 1000,
      }))
      .sort((a, b) => b.seconds - a.seconds);
    if (files.length < 2) return;
    const total = files.reduce((sum, f) => sum + f.seconds, 0);
    const lines = files.slice(0, 10).map((f) => `  ${f.seconds.toFixed(1).padStart(6)} s  ${f.file}`);
    console.log(
      `\nThe ten slowest of ${files.length} test files (${total.toFixed(0)} s of file time in ` +
        `all):\n${lines.join('\n')}\n`,
    );
  }
}
