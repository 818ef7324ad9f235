/** Which silences cover a check, and the mutes the evaluator gets for them. */
import { describe, expect, it } from 'vitest';
import type { StoredSilence } from '../../shared/store/items.ts';
import { mutesFor, SILENCE_LOOKBACK_MS, silenceApplies } from '../../shared/usecases/silences.ts';

const NOW = Date.parse('2026-12-01T12:00:00.000Z');
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

function silence(id: string, over: Partial<StoredSilence> = {}): StoredSilence {
  return { id, startsAt: iso(NOW - 10 * MIN), endsAt: iso(NOW + 20 * MIN), createdBy: 'ci', createdAt: iso(NOW - 10 * MIN), ...over };
}

const api = { id: 'api', tags: { team: 'payments', tier: '1' } };
const web = { id: 'web', tags: { team: 'web' } };
const bare = { id: 'bare' };

describe('silenceApplies', () => {
  it.each([
    ['checks: any of the ids', { checks: ['web', 'api'] }, [true, true, false]],
    ['tags: all of them', { tags: { team: 'payments', tier: '1' } }, [true, false, false]],
    ['tags: one missing is no match', { tags: { team: 'payments', tier: '2' } }, [false, false, false]],
    ['both: both must hold', { checks: ['api', 'web'], tags: { team: 'web' } }, [false, true, false]],
    ['neither: matches nothing (never every check)', {}, [false, false, false]],
    ['empty lists count as absent', { checks: [], tags: {} }, [false, false, false]],
  ] as const)('%s', (_name, matcher, [forApi, forWeb, forBare]) => {
    const s = matcher as Pick<StoredSilence, 'checks' | 'tags'>;
    expect([silenceApplies(s, api), silenceApplies(s, web), silenceApplies(s, bare)]).toEqual([forApi, forWeb, forBare]);
  });
});

describe('mutesFor', () => {
  it('gives one silence mute per covering silence, with its id and span in epoch ms', () => {
    const silences = [silence('s-00000001', { checks: ['api'] }), silence('s-00000002', { tags: { team: 'web' } }), silence('s-00000003', { checks: ['api'], startsAt: iso(NOW + MIN), endsAt: iso(NOW + 2 * MIN) })];

    expect(mutesFor(silences, api, NOW)).toEqual([
      { kind: 'silence', name: 's-00000001', start: NOW - 10 * MIN, end: NOW + 20 * MIN },
      { kind: 'silence', name: 's-00000003', start: NOW + MIN, end: NOW + 2 * MIN },
    ]);
    expect(mutesFor(silences, web, NOW).map((m) => m.name)).toEqual(['s-00000002']);
    expect(mutesFor(silences, bare, NOW)).toEqual([]);
  });

  it('leaves out silences that ended more than a day before now, and keeps ones that ended within it', () => {
    const old = silence('s-0000000a', { checks: ['api'], startsAt: iso(NOW - SILENCE_LOOKBACK_MS - 2 * MIN), endsAt: iso(NOW - SILENCE_LOOKBACK_MS - MIN) });
    const recent = silence('s-0000000b', { checks: ['api'], startsAt: iso(NOW - 2 * MIN), endsAt: iso(NOW - MIN) });

    expect(mutesFor([old, recent], api, NOW).map((m) => m.name)).toEqual(['s-0000000b']);
    // Without a `now`, nothing is left out for age.
    expect(mutesFor([old, recent], api).map((m) => m.name)).toEqual(['s-0000000a', 's-0000000b']);
  });

  it('leaves out a silence expired before it started: it spans nothing', () => {
    const cancelled = silence('s-0000000c', { checks: ['api'], startsAt: iso(NOW + 60 * MIN), endsAt: iso(NOW), expiredAt: iso(NOW) });

    expect(mutesFor([cancelled], api, NOW)).toEqual([]);
  });
});
