/**
 * Names that Object.prototype also has (issue 9 item 8). `constructor` passes the id rule, so it can be
 * a location or a channel; every map keyed by such a name must be read by own key, or a lookup finds
 * Object's constructor function instead of "absent".
 */
import { describe, expect, it } from 'vitest';
import { channelsFor } from '../../shared/alert/message.ts';
import { headerValue } from '../../shared/probe/http-assertions.ts';
import { Feed, MIN, policy, result, T0, type Outcome } from './support.ts';

/** support.ts's result() offsets ts by location from a plain map, which has the same trap; set ts here. */
const at = (minute: number, o: Outcome) => ({ ...result('eu', minute, o), location: 'constructor', ts: T0 + minute * MIN });

describe('a location named "constructor"', () => {
  it('counts its results and takes the check DOWN like any other', () => {
    const feed = new Feed(policy({ locations: ['constructor'], quorum: 1 }));
    feed.send(at(0, 'ok'));
    feed.send(at(1, 'fail'));
    expect(feed.loc('constructor')).toMatchObject({ consecutiveFailures: 1 });
    feed.send(at(2, 'fail'));
    expect(feed.state?.overall).toBe('DOWN');
    expect(feed.events()).toEqual(['DOWN']);
  });
});

describe('channel and header lookups', () => {
  it('an undeclared "constructor" or "toString" channel hears nothing', () => {
    expect(channelsFor('DOWN', ['constructor', 'toString', 'ops'], { ops: { email: ['a@example.com'], webhook: [], failingAfter: 3 } })).toEqual(['ops']);
  });

  it('a header assertion on "constructor" finds no such response header', () => {
    expect(headerValue({ 'content-type': 'text/plain' }, 'constructor')).toBeUndefined();
    expect(headerValue({ 'content-type': 'text/plain' }, 'Content-Type')).toBe('text/plain');
  });
});
