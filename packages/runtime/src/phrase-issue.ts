/**
 * Short, lower-case wording for zod issues (`must be at most 65535`, `expected one of "a", "b"`), used as a
 * per-parse error map so that messages a schema sets itself still win.
 */
export function phraseIssue(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'is required';
      const expected = EXPECTED[String(issue.expected)] ?? withArticle(String(issue.expected));
      const got = kindOf(issue.input);
      return got === kindName(String(issue.expected)) ? `expected ${expected}` : `expected ${expected}, got ${got}`;
    }
    case 'too_big':
      return limit('at most', 'less than', issue.maximum, issue);
    case 'too_small':
      if ((issue.origin === 'string' || issue.origin === 'array') && issue.minimum === 1 && issue.inclusive !== false) {
        return 'must not be empty';
      }
      return limit('at least', 'greater than', issue.minimum, issue);
    case 'invalid_value': {
      const values = issue.values ?? [];
      const list = values.map((v) => JSON.stringify(v)).join(', ');
      return values.length === 1 ? `expected ${list}` : `expected one of ${list}`;
    }
    case 'invalid_format':
      if (issue.format === 'regex') return `must match ${String(issue.pattern)}`;
      if (issue.format === 'starts_with') return `must start with ${JSON.stringify(issue.prefix)}`;
      if (issue.format === 'ends_with') return `must end with ${JSON.stringify(issue.suffix)}`;
      if (issue.format === 'includes') return `must include ${JSON.stringify(issue.includes)}`;
      return `expected a valid ${FORMATS[String(issue.format)] ?? String(issue.format)}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys': {
      const keys = issue.keys ?? [];
      return `unknown key${keys.length === 1 ? '' : 's'} ${keys.map((k) => JSON.stringify(k)).join(', ')}`;
    }
    case 'invalid_union':
      return 'matches none of the allowed forms';
    default:
      return undefined;
  }
}

/** The subset of zod v4's raw issue that phrasing reads. */
export interface RawIssue {
  code?: string;
  input?: unknown;
  expected?: unknown;
  origin?: string;
  maximum?: unknown;
  minimum?: unknown;
  inclusive?: boolean;
  values?: readonly unknown[];
  format?: string;
  pattern?: unknown;
  prefix?: string;
  suffix?: string;
  includes?: string;
  divisor?: unknown;
  keys?: readonly string[];
}

const EXPECTED: Record<string, string> = { int: 'an integer', boolean: 'true or false', nan: 'NaN' };
const FORMATS: Record<string, string> = { url: 'URL', email: 'e-mail address', uuid: 'UUID', ipv4: 'IPv4 address', ipv6: 'IPv6 address' };

function limit(inclusiveWord: string, exclusiveWord: string, bound: unknown, issue: RawIssue): string {
  const word = issue.inclusive === false ? exclusiveWord : inclusiveWord;
  const n = String(bound);
  switch (issue.origin) {
    case 'string':
      return `must be ${word} ${n} characters long`;
    case 'array':
    case 'set':
      return `must have ${word} ${n} items`;
    default:
      return `must be ${word} ${n}`;
  }
}

function withArticle(noun: string): string {
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function kindName(expected: string): string {
  return expected === 'int' ? 'a number' : withArticle(expected);
}

/** `a string`, `a number`, `null`, `an array`, `an object`… */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return withArticle(typeof value);
}
