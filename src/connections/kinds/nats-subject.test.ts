import { describe, expect, it } from 'vitest';
import { inputId, parseMpid, workspaceId } from '../../kernel/ids.ts';
import type { StreamBatch } from '../stream-batch.ts';
import { parseSubject, streamNameProblem } from './nats-subject.ts';

const b: StreamBatch = {
  seq: 1,
  workspaceId: workspaceId(7),
  inputId: inputId(3),
  mpid: parseMpid('-8433569802424681543')!,
  receivedAtMs: 0,
  batch: { events: [], environment: 'development', user_identities: {}, user_attributes: {} },
};

const parsed = (text: string) => {
  const s = parseSubject(text);
  if (!s.ok) throw new Error(s.problems.join('; '));
  return s.value;
};

describe('a nats subject template', () => {
  it('puts each batch\'s values in its placeholders, whole tokens or parts of one', () => {
    const s = parsed('quanta.{workspace_id}.in-{input_id}.{environment}.{mpid}');
    expect(s.resolve(b)).toBe('quanta.7.in-3.development.-8433569802424681543');
    expect(s.pattern).toBe('quanta.*.*.*.*');
  });

  it('without placeholders is its own pattern', () => {
    expect(parsed('quanta.batches').pattern).toBe('quanta.batches');
    expect(parsed('quanta.batches').resolve(b)).toBe('quanta.batches');
  });

  it('names every problem: unknown placeholders, wildcards, spaces, empty tokens, $ subjects', () => {
    const s = parseSubject('$q..{user}.a b.*.x>');
    expect(s.ok).toBe(false);
    if (s.ok) return;
    expect(s.problems).toEqual([
      'settings.subject: "$q..{user}.a b.*.x>" starts with "$", which NATS keeps for its own subjects ($JS, $SYS...)',
      'settings.subject: "$q..{user}.a b.*.x>" has an empty token (number 2); tokens are separated by single dots',
      'settings.subject: "{user}" is not a placeholder; a subject may hold {mpid}, {workspace_id}, {input_id}, {environment}',
      'settings.subject: "$q..{user}.a b.*.x>" holds " "; a subject has no whitespace, wildcards (* >) or braces outside placeholders',
      'settings.subject: "$q..{user}.a b.*.x>" holds "*"; a subject has no whitespace, wildcards (* >) or braces outside placeholders',
      'settings.subject: "$q..{user}.a b.*.x>" holds ">"; a subject has no whitespace, wildcards (* >) or braces outside placeholders',
    ]);
  });

  it('refuses a stray brace', () => {
    expect(parseSubject('a.{mpid').ok).toBe(false);
  });
});

describe('a stream name', () => {
  it('has no dots, wildcards, slashes or spaces', () => {
    expect(streamNameProblem('QUANTA_BATCHES')).toBeUndefined();
    for (const name of ['a.b', 'a*', 'a>', 'a/b', 'a b']) expect(streamNameProblem(name)).toMatch(/^settings\.stream: /);
  });
});
