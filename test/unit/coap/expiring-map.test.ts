import { expect } from 'chai';
import { ExpiringMap } from '../../../src/protocol/coap/expiring-map.ts';

describe('ExpiringMap (dedup cache store)', () => {
  it('expires entries after their lifetime and sweeps them on insertion', () => {
    const m = new ExpiringMap<string, number>(100, 10);
    m.set('a', 1, 0);
    m.set('b', 2, 50);
    expect(m.get('a', 99)).to.equal(1);
    expect(m.get('a', 100)).to.equal(undefined);
    m.set('c', 3, 151);
    expect(m.size).to.equal(1);
    expect(m.get('c', 151)).to.equal(3);
  });

  it('evicts the oldest insertion at the cap, counting refreshed keys as new', () => {
    const m = new ExpiringMap<string, number>(1000, 3);
    m.set('a', 1, 0);
    m.set('b', 2, 0);
    m.set('c', 3, 0);
    m.set('a', 10, 1); // refresh: 'b' is now the oldest
    const evicted = m.set('d', 4, 2);
    expect(evicted).to.deep.equal([2]);
    expect([m.get('a', 2), m.get('b', 2), m.get('c', 2), m.get('d', 2)]).to.deep.equal([10, undefined, 3, 4]);
    expect(m.evicted).to.equal(1);
  });

  it('skips deleted keys when evicting', () => {
    const m = new ExpiringMap<string, string>(1000, 2);
    m.set('x', 'x', 0);
    m.set('y', 'y', 1);
    m.delete('x');
    m.set('z', 'z', 2);
    expect(m.size).to.equal(2);
    expect(m.get('y', 2)).to.equal('y');
    expect(m.evicted).to.equal(0);
  });

  it('stays bounded under a long run of insertions at the cap', () => {
    const m = new ExpiringMap<number, number>(10_000_000, 1000);
    for (let i = 0; i < 200_000; i++) m.set(i, i, i);
    expect(m.size).to.equal(1000);
    expect(m.get(199_999, 200_000)).to.equal(199_999);
    expect(m.get(198_999, 200_000)).to.equal(undefined);
    expect(m.evicted).to.equal(199_000);
  });
});
