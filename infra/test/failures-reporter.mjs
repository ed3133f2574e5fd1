// A node:test reporter for run-tests.sh: one short entry per failed test (its file, its name, the first lines of its
// error), then the run's totals as `# pass N` lines (the runner's closing diagnostics). run-tests.sh adds up the
// totals and prints the entries again at the end of the run, so the reason of a failure is in the last lines of a
// long CI log, not only far above them in the spec output. (One reporter beside spec: a third one makes node warn
// about the listeners on its test stream.)
import { basename } from 'node:path';

const MAX_LINES = 4;
const MAX_CHARS = 400;
const TOTALS = /^(tests|suites|pass|fail|cancelled|skipped|todo) \d+$/;

function reason(error) {
  // a failing test's error is wrapped: the test's own error is its cause
  const e = error?.failureType === 'testCodeFailure' && error.cause !== undefined ? error.cause : error;
  const text = e instanceof Error ? e.message : String(e);
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '')
    .slice(0, MAX_LINES)
    .map((l) => (l.length > MAX_CHARS ? `${l.slice(0, MAX_CHARS)}…` : l));
}

export default async function* failures(source) {
  const totals = [];
  for await (const event of source) {
    if (event.type === 'test:diagnostic' && event.data.nesting === 0 && TOTALS.test(event.data.message)) totals.push(`# ${event.data.message}\n`);
    if (event.type !== 'test:fail') continue;
    const { name, file, details } = event.data;
    if (details?.error?.failureType === 'subtestsFailed') continue; // a suite: its failed tests have their own entries
    const where = file ? `${basename(file)}: ` : '';
    yield `✖ ${where}${name}\n${reason(details?.error).map((l) => `    ${l}\n`).join('')}`;
  }
  yield totals.join('');
}
