import { expect } from 'chai';
import { encodeLinks, linkMatches, parseLinks } from '../../../src/codec/link-format/link-format.ts';

describe('CoRE Link Format (RFC 6690)', () => {
  const doc = '</sensors/temp>;rt="temperature-c";if="sensor";ct=0,</.well-known/cmp>;rt="ace.cmp";ct=259,</est/crts>;rt="ace.est.crts";ct="281 287"';

  it('parses and re-encodes the §5 style example', () => {
    const links = parseLinks(doc);
    expect(links).to.have.length(3);
    expect(links[0]).to.deep.equal({ href: '/sensors/temp', attrs: { rt: 'temperature-c', if: 'sensor', ct: 0 } });
    expect(links[2]!.attrs.ct).to.equal('281 287');
    expect(encodeLinks(links)).to.equal(doc);
  });

  it('filters like /.well-known/core queries: exact, prefix with *, any of space-separated values', () => {
    const links = parseLinks(doc);
    const q = (name: string, v: string): string[] => links.filter((l) => linkMatches(l, name, v)).map((l) => l.href);
    expect(q('rt', 'ace.cmp')).to.deep.equal(['/.well-known/cmp']);
    expect(q('rt', 'ace.*')).to.deep.equal(['/.well-known/cmp', '/est/crts']);
    expect(q('ct', '287')).to.deep.equal(['/est/crts']);
    expect(q('href', '/sensors*')).to.deep.equal(['/sensors/temp']);
    expect(q('title', 'x')).to.deep.equal([]);
  });

  it('rejects malformed documents with a typed error and offset', () => {
    expect(() => parseLinks('</a>;rt="unterminated')).to.throw(/unterminated/);
    expect(() => parseLinks('/a>')).to.throw(/expected '<'/);
  });
});
