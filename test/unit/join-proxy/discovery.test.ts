/** Discovery (§5): choosing a registrar from link-format results, the pledge-side responder, CLI config. */
import { expect } from 'chai';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { uintOption } from '../../../src/codec/coap/option-value.ts';
import { pathOptions } from '../../../src/codec/coap/uri.ts';
import { parseLinks } from '../../../src/codec/link-format/link-format.ts';
import { StackError } from '../../../src/core/errors.ts';
import { chooseRegistrar } from '../../../src/protocol/join-proxy/registrar-discovery.ts';
import type { ServerRequest } from '../../../src/stack/exchange.ts';
import { parseProxyConfig, type ProxyConfig } from '../../../proxy/config.ts';
import { joinPortDiscoveryHandler } from '../../../proxy/discovery.ts';

const BASE = 'coap://[2001:db8::1]:5683/';

describe('join proxy: registrar discovery (§5.1)', () => {
  it('§5.1.3 examples: stateless from rt=brski.rjp, stateful from rt=brski (port 5684 implied)', () => {
    const links = parseLinks('<coaps://[2001:db8:0:abcd::52]/b>;rt=brski,<jpy://[2001:db8:0:abcd::52]:7634>;rt=brski.rjp');
    expect(chooseRegistrar(links, BASE)).to.deep.include({ mode: 'stateless', host: '2001:db8:0:abcd::52', port: 7634 });
    expect(chooseRegistrar(links, BASE, 'stateful')).to.deep.include({ mode: 'stateful', host: '2001:db8:0:abcd::52', port: 5684 });
    expect(chooseRegistrar(parseLinks('<coaps://[2001:db8:0:abcd::52]/b>;rt=brski'), BASE)).to.deep.include({ mode: 'stateful', port: 5684 });
  });

  it('§4.1: a generic proxy prefers stateless whenever a brski.rjp registrar is announced, wherever it is listed', () => {
    const links = parseLinks('<coaps://10.0.0.1:5684/b>;rt="brski brski.rv",</x>;rt=file,<jpy://10.0.0.2:9999/ignored/path>;rt=brski.rjp');
    expect(chooseRegistrar(links, BASE)).to.deep.include({ mode: 'stateless', host: '10.0.0.2', port: 9999 });
  });

  it('§4.5.1: a jpy link without a port is not valid and is skipped', () => {
    const links = parseLinks('<jpy://10.0.0.2>;rt=brski.rjp,<coap://10.0.0.3>;rt=brski');
    expect(chooseRegistrar(links, BASE)).to.deep.include({ mode: 'stateful', host: '10.0.0.3', port: 5683 });
    expect(() => chooseRegistrar(links, BASE, 'stateless')).to.throw(StackError, /no registrar link/).with.property('code', 'ERR_NOT_FOUND');
  });

  it('resolves relative targets against the queried URI; brski.rv alone is not the registrar', () => {
    expect(chooseRegistrar(parseLinks('</b>;rt=brski'), 'coap://10.1.1.1:61616/')).to.deep.include({ host: '10.1.1.1', port: 61616 });
    expect(() => chooseRegistrar(parseLinks('</rv>;rt=brski.rv'), BASE)).to.throw(StackError);
  });
});

function get(query: string[], path = '/.well-known/core', method: number = Code.GET): ServerRequest {
  return { method, options: pathOptions(path, query), payload: new Uint8Array(0), peer: { address: 'fe80::1', port: 5683 }, confirmable: true, messageId: 1, token: new Uint8Array(0), context: {} };
}

describe('join proxy: pledge-side discovery responder (§5.2)', () => {
  const handle = joinPortDiscoveryHandler(8485);
  const body = (q: string[]): string => new TextDecoder().decode(handle(get(q)).payload);

  it('answers ?brski-jp=* with <>;brski-jp=PORT in application/link-format', () => {
    const r = handle(get(['brski-jp=*']));
    expect(r.code).to.equal(Code.CONTENT);
    expect(uintOption(r, Opt.CONTENT_FORMAT)).to.equal(40);
    expect(new TextDecoder().decode(r.payload)).to.equal('<>;brski-jp=8485');
  });

  it('answers the older ?rt=brski.jp (-19) with the same link, and an unfiltered GET too', () => {
    expect(body(['rt=brski.jp'])).to.equal('<>;brski-jp=8485');
    expect(body(['rt=brski*'])).to.equal('<>;brski-jp=8485');
    expect(body([])).to.equal('<>;brski-jp=8485');
    expect(body(['brski-jp=8485'])).to.equal('<>;brski-jp=8485');
  });

  it('filters out the link for other queries (RFC 6690 §4.1) and refuses other paths and methods', () => {
    expect(body(['rt=core.rd'])).to.equal('');
    expect(body(['brski-jp=9*'])).to.equal('');
    expect(handle(get([], '/other')).code).to.equal(Code.NOT_FOUND);
    expect(handle(get([], '/.well-known/core', Code.POST)).code).to.equal(Code.METHOD_NOT_ALLOWED);
  });
});

describe('brski proxy: configuration', () => {
  const ok = (args: string[]): ProxyConfig => {
    const p = parseProxyConfig(args);
    if (p.help) throw new Error('help');
    return p.value;
  };
  const bad = (args: string[], msg: RegExp): void => {
    expect(() => parseProxyConfig(args)).to.throw(StackError, msg).with.property('code', 'ERR_CONFIG');
  };

  it('defaults follow the draft: 30 s idle timeout, 10 pledges, 2 per address, 24 h key rotation', () => {
    const c = ok(['--mode', 'stateful', '--listen', '[::]:0', '--registrar', '[2001:db8::52]:5684']);
    expect(c).to.deep.include({ mode: 'stateful', idleTimeoutMs: 30_000, maxPledges: 10, maxPerAddress: 2, keyRotationMs: 86_400_000, ratePerSecond: 100, burst: 100 });
    expect(c.listen).to.deep.equal({ host: '::', port: 0 });
    expect(c.registrar).to.deep.equal({ host: '2001:db8::52', port: 5684 });
    expect(Object.isFrozen(c)).to.equal(true);
  });

  it('parses every option', () => {
    const c = ok(
      ('--mode stateless --listen 127.0.0.1:8485 --registrar localhost:5684 --jpy-port 7634 --max-pledges 20 --max-per-address 0 ' +
        '--idle-timeout 1.5 --rate 10/s --burst 4 --key-rotation 60 --key-grace 5 --discovery-port 0 --discovery-host 127.0.0.2 ' +
        '--upstream-host 127.0.0.1 --stats-interval 0 --log-level warn').split(' '),
    );
    expect(c).to.deep.include({ jpyPort: 7634, maxPledges: 20, maxPerAddress: 0, idleTimeoutMs: 1500, ratePerSecond: 10, burst: 4, keyRotationMs: 60_000, keyGraceMs: 5000, discoveryPort: 0, discoveryHost: '127.0.0.2', upstreamHost: '127.0.0.1', statsIntervalMs: 0, logLevel: 'warn' });
    expect(ok(['--listen', '127.0.0.1:0', '--discover', 'coap://10.0.0.1'])).to.deep.include({ mode: undefined, discover: 'coap://10.0.0.1' });
  });

  it('refuses what cannot work, as configuration errors', () => {
    bad(['--listen', '127.0.0.1:0', '--registrar', '10.0.0.1:5684'], /--mode/);
    bad(['--mode', 'stateless', '--listen', '127.0.0.1:0', '--registrar', '10.0.0.1:5684'], /--jpy-port N is required/);
    bad(['--mode', 'both', '--listen', '127.0.0.1:0', '--registrar', '10.0.0.1:1'], /stateful or stateless/);
    bad(['--mode', 'stateful', '--registrar', '10.0.0.1:1'], /--listen/);
    bad(['--mode', 'stateful', '--listen', 'localhost:1', '--registrar', '10.0.0.1:1'], /IP address/);
    bad(['--mode', 'stateful', '--listen', '127.0.0.1:0', '--registrar', '10.0.0.1'], /HOST:PORT/);
    bad(['--mode', 'stateful', '--listen', '127.0.0.1:0', '--registrar', '10.0.0.1:1', '--max-pledges', '0'], /--max-pledges/);
    bad(['--mode', 'stateful', '--listen', '127.0.0.1:0', '--registrar', '10.0.0.1:1', '--rate', 'fast'], /--rate/);
    bad(['--listen', '127.0.0.1:0', '--registrar', '10.0.0.1:1', '--discover', 'coap://x'], /either/);
    bad(['--listen', '127.0.0.1:0'], /--registrar HOST:PORT or --discover/);
    bad(['--listen', '127.0.0.1:0', '--discover', 'http://x'], /coap:\/\//);
    bad(['--bogus'], /bogus/);
  });
});
