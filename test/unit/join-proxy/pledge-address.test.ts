/** Pledge addresses to header plaintexts and back, with the bounded IPv6 prefix table. */
import { expect } from 'chai';
import { PledgeAddressCodec, canonicalAddress, formatIpv6, parseIpv6 } from '../../../src/protocol/join-proxy/pledge-address.ts';

describe('pledge addresses', () => {
  it('parses and formats IPv6 per RFC 5952 (longest zero run, no single-group ::, embedded IPv4)', () => {
    const cases: [string, string][] = [
      ['::1', '::1'],
      ['::', '::'],
      ['FE80:0000:0000:0000:0211:22FF:FE33:4455', 'fe80::211:22ff:fe33:4455'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['::ffff:192.0.2.1', '::ffff:c000:201'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ];
    for (const [input, want] of cases) expect(formatIpv6(parseIpv6(input)!), input).to.equal(want);
    for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', 'x::1', '192.0.2.1']) expect(parseIpv6(bad), bad).to.equal(undefined);
  });

  it('canonical text: IPv4-mapped becomes IPv4, IPv6 is RFC 5952 with its zone kept', () => {
    expect(canonicalAddress('::ffff:127.0.0.1')).to.equal('127.0.0.1');
    expect(canonicalAddress('FE80::0:1%eth0')).to.equal('fe80::1%eth0');
    expect(canonicalAddress('10.1.2.3')).to.equal('10.1.2.3');
  });

  it('IPv4 pledges travel as 4 bytes; IPv6 ones as IID + prefix slot, and come back as the same canonical text', () => {
    const c = new PledgeAddressCodec(4);
    const p4 = c.toPlaintext({ address: '169.254.7.9', port: 41000 })!;
    expect(p4).to.deep.equal({ family: 0, ifindex: 0, port: 41000, address: Uint8Array.of(169, 254, 7, 9) });
    expect(c.fromPlaintext(p4)).to.deep.equal({ address: '169.254.7.9', port: 41000 });

    const ll = c.toPlaintext({ address: 'fe80::211:22ff:fe33:4455%wpan0', port: 5684 })!;
    expect(ll.family).to.equal(1);
    expect(ll.ifindex).to.equal(0);
    expect(Buffer.from(ll.address).toString('hex')).to.equal('021122fffe334455');
    expect(c.fromPlaintext(ll)).to.deep.equal({ address: 'fe80::211:22ff:fe33:4455%wpan0', port: 5684 });

    const other = c.toPlaintext({ address: 'fe80::1%eth1', port: 1 })!;
    expect(other.ifindex, 'another zone is another slot').to.equal(1);
    const loop = c.toPlaintext({ address: '::1', port: 2 })!;
    expect(loop.ifindex).to.equal(2);
    expect(c.fromPlaintext(loop)).to.deep.equal({ address: '::1', port: 2 });
    expect(c.toPlaintext({ address: 'fe80::99%wpan0', port: 3 })!.ifindex, 'same prefix and zone, same slot').to.equal(0);
    expect(c.prefixes).to.equal(3);
  });

  it('the prefix table is bounded: a fifth prefix is refused, known ones keep working', () => {
    const c = new PledgeAddressCodec(4);
    for (let i = 0; i < 4; i++) expect(c.toPlaintext({ address: `2001:db8:${i}::1`, port: 9 })).to.not.equal(undefined);
    expect(c.toPlaintext({ address: '2001:db8:4::1', port: 9 })).to.equal(undefined);
    expect(c.toPlaintext({ address: '2001:db8:3::77', port: 9 })!.ifindex).to.equal(3);
    expect(c.fromPlaintext({ family: 1, ifindex: 9, port: 9, address: new Uint8Array(8) }), 'unknown slot').to.equal(undefined);
  });

  it('refuses what is not an address or port', () => {
    const c = new PledgeAddressCodec();
    expect(c.toPlaintext({ address: 'localhost', port: 1 })).to.equal(undefined);
    expect(c.toPlaintext({ address: '10.0.0.1', port: 0 })).to.equal(undefined);
    expect(c.toPlaintext({ address: '10.0.0.1%eth0', port: 5 })).to.equal(undefined);
  });
});
