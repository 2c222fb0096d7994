/**
 * Invalid params in plain words. Valibot's default messages ("Invalid length: Expected >=10 but
 * received 9") reach people through the popup and dApps, so the router says instead what is wrong
 * with which field: "The address is too short". A schema's own message (one that does not start
 * with valibot's "Invalid ") is already written for people and is kept.
 */
import type * as v from 'valibot';

/** What people call the fields the popup and dApps send. */
const FIELD_NAMES: Record<string, string> = {
  to: 'address',
  address: 'address',
  amount: 'amount',
  sats: 'amount',
  memo: 'memo',
  relay: 'relay address',
  relays: 'relay list',
  chronikUrl: 'indexer URL',
  url: 'URL',
  label: 'name',
  message: 'message',
  code: 'code',
  descriptor: 'vault descriptor',
  password: 'password',
  mnemonic: 'recovery phrase',
};

type Issue = v.BaseIssue<unknown>;

function fieldOf(issue: Issue): { key?: string; name: string } {
  const keys = (issue.path ?? []).flatMap((p) => (typeof p.key === 'string' ? [p.key] : []));
  const key = keys.at(-1);
  if (key === undefined) return { name: 'request' };
  return { key, name: FIELD_NAMES[key] ?? key };
}

/** One issue as a sentence, e.g. "The address is too short". */
export function issueInWords(issue: Issue): string {
  if (!issue.message.startsWith('Invalid ')) return issue.message;
  const { key, name } = fieldOf(issue);
  const the = `The ${name}`;
  switch (issue.type) {
    case 'min_length':
    case 'min_bytes':
    case 'min_graphemes':
    case 'non_empty':
      return issue.received === '0' ? `${the} is empty` : `${the} is too short`;
    case 'max_length':
    case 'max_bytes':
    case 'max_graphemes':
      return `${the} is too long`;
    case 'min_value':
      return `${the} is too small`;
    case 'max_value':
      return `${the} is too large`;
    case 'strict_object':
    case 'object':
      if (key === undefined) return 'The request’s params must be an object';
      if (issue.expected === 'never') return `“${key}” is not expected here`;
      if (issue.received === 'undefined') return `${the} is missing`;
      return `${the} is not valid`;
    case 'picklist':
    case 'literal':
    case 'union':
    case 'variant':
      return `${the} is not one of the allowed values`;
    default:
      if (issue.kind === 'schema' && issue.received === 'undefined') return `${the} is missing`;
      if (issue.kind === 'schema') return `${the} must be ${article(issue.expected ?? '')}`;
      return `${the} is not valid`;
  }
}

function article(expected: string): string {
  if (!/^[A-Za-z]+$/.test(expected)) return 'valid';
  const word = expected.toLowerCase();
  return `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;
}

/** Every issue, each field once, as sentences joined with ". ". */
export function issuesInWords(issues: readonly Issue[]): string {
  return [...new Set(issues.map(issueInWords))].join('. ');
}

/** The issues for developers: each field's dotted path and valibot's issue type. */
export function issuesData(issues: readonly Issue[]): { field: string; problem: string }[] {
  return issues.map((issue) => ({
    field: (issue.path ?? []).map((p) => String(p.key)).join('.'),
    problem: issue.type,
  }));
}
