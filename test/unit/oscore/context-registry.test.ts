/** The security-context registry: lookup by (kid context, kid), bounded as an LRU. */
import { expect } from 'chai';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { isStackError } from '../../../src/core/errors.ts';
import { SecurityContextRegistry } from '../../../src/protocol/oscore/context-registry.ts';
import { asIdContext, asKid } from '../../../src/protocol/oscore/ids.ts';
import { protectRequest, verifyRequest } from '../../../src/protocol/oscore/message-protection.ts';
import type { SecurityContext } from '../../../src/protocol/oscore/security-context.ts';
import { MASTER_SECRET, clientContext, serverContext } from './helpers.ts';
import { SecurityContext as Ctx } from '../../../src/protocol/oscore/security-context.ts';

const server = (rid: number, idContext?: number): SecurityContext =>
  Ctx.derive({ masterSecret: MASTER_SECRET, senderId: Uint8Array.of(0xee), recipientId: Uint8Array.of(rid), ...(idContext !== undefined && { idContext: Uint8Array.of(idContext) }) });

describe('OSCORE security-context registry', () => {
  it('drops the least recently used context beyond the cap', () => {
    const evicted: string[] = [];
    const reg = new SecurityContextRegistry({ maxContexts: 3, onEvict: (c) => evicted.push(c.key) });
    const [a, b, c, d] = [server(1), server(2), server(3), server(4)];
    reg.add(a!).add(b!).add(c!);
    expect(reg.get(a!.key), 'a is used, so b is now the oldest').to.equal(a);
    reg.add(d!);
    expect(reg.size).to.equal(3);
    expect(evicted).to.deep.equal([b!.key]);
    expect(reg.find(asKid(Uint8Array.of(2)))).to.deep.equal([]);
    expect(reg.find(asKid(Uint8Array.of(1)))).to.deep.equal([a]);
    expect(reg.evictions).to.equal(1);
    for (let i = 10; i < 50; i++) reg.add(server(i));
    expect(reg.size, 'stays at the cap').to.equal(3);
  });

  it('a lookup refreshes the entry', () => {
    const reg = new SecurityContextRegistry({ maxContexts: 2 });
    const [a, b, c] = [server(1), server(2), server(3)];
    reg.add(a).add(b);
    reg.find(asKid(Uint8Array.of(1)));
    reg.add(c);
    expect(reg.keys()).to.deep.equal([a.key, c.key]);
  });

  it('looks up by kid context and kid; without kid context it tries the contexts with that kid', () => {
    const reg = new SecurityContextRegistry({ maxCandidates: 2 });
    const plain = server(1);
    const x = server(1, 0xa);
    const y = server(1, 0xb);
    const z = server(1, 0xc);
    reg.add(x).add(plain).add(y).add(z);
    expect(reg.find(asKid(Uint8Array.of(1)), asIdContext(Uint8Array.of(0xb)))).to.deep.equal([y]);
    expect(reg.find(asKid(Uint8Array.of(1)), asIdContext(Uint8Array.of(0xd)))).to.deep.equal([]);
    const candidates = reg.find(asKid(Uint8Array.of(1)));
    expect(candidates[0], 'the context without ID Context first').to.equal(plain);
    expect(candidates.length, 'bounded by maxCandidates').to.equal(2);
  });

  it('an empty ID Context is not an absent one', () => {
    const reg = new SecurityContextRegistry();
    const empty = server(1, undefined);
    const withEmpty = Ctx.derive({ masterSecret: MASTER_SECRET, senderId: Uint8Array.of(0xee), recipientId: Uint8Array.of(1), idContext: new Uint8Array(0) });
    reg.add(empty).add(withEmpty);
    expect(reg.size).to.equal(2);
    expect(reg.find(asKid(Uint8Array.of(1)), asIdContext(new Uint8Array(0)))).to.deep.equal([withEmpty]);
  });

  it('an evicted context gives 4.01 "Security context not found"', () => {
    const reg = new SecurityContextRegistry({ maxContexts: 1 });
    reg.add(serverContext());
    const { message } = protectRequest(clientContext(), { code: Code.GET, options: [], payload: new Uint8Array(0) });
    reg.add(server(9));
    try {
      verifyRequest(reg, message);
      expect.fail('verified without a context');
    } catch (e) {
      expect(isStackError(e, 'ERR_NOT_FOUND')).to.equal(true);
      expect((e as { details: { answer: unknown } }).details.answer).to.deep.equal({ kind: 'response', code: Code.UNAUTHORIZED, payload: 'Security context not found' });
    }
  });

  it('validates its configuration', () => {
    expect(() => new SecurityContextRegistry({ maxContexts: 0 })).to.throw(/maxContexts/);
  });
});
