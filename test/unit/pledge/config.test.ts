/** `brski pledge` arguments: defaults, the registrar URI forms, refusals. */
import { expect } from 'chai';
import { parsePledgeArgs, type PledgeConfig } from '../../../pledge/config.ts';
import { thrown } from '../cmp-protocol/helpers.ts';

function cfg(...extra: string[]): PledgeConfig {
  const p = parsePledgeArgs(['--pki', 'p', '--state', 's', '--registrar', 'coap://127.0.0.1:5683', ...extra]);
  if (p.help) throw new Error('help');
  return p.config;
}

describe('pledge: command line', () => {
  it('defaults: 1 pledge from PLEDGE-0001, 64-byte blocks, path /.well-known/cmp, 600 s, no loss', () => {
    const c = cfg();
    expect(c).to.include({ count: 1, first: 1, blockSize: 64, concurrency: 1, timeoutSeconds: 600, linkLoss: 0, host: '127.0.0.1', port: 5683, logLevel: 'warn' });
    expect(c.path).to.deep.equal(['.well-known', 'cmp']);
    expect(Object.isFrozen(c)).to.equal(true);
  });

  it('reads every option; a profile label path is kept', () => {
    const c = parsePledgeArgs([
      '--pki', 'p', '--state', 's', '--registrar', 'coap://[::1]:61616/.well-known/cmp/p/site-a',
      '--count', '20', '--first', '3', '--block-size', '256', '--concurrency', '5', '--timeout', '30', '--link-loss', '0.1',
      '--retry-base', '200', '--log-level', 'debug', '--json', 'out.json',
    ]);
    if (c.help) throw new Error('help');
    expect(c.config).to.include({ count: 20, first: 3, blockSize: 256, concurrency: 5, timeoutSeconds: 30, linkLoss: 0.1, retryBaseMs: 200, logLevel: 'debug', jsonFile: 'out.json', host: '::1', port: 61616 });
    expect(c.config.path).to.deep.equal(['.well-known', 'cmp', 'p', 'site-a']);
  });

  it('refuses bad values with a message naming the option', () => {
    expect(thrown(() => cfg('--block-size', '100')).message).to.match(/--block-size/);
    expect(thrown(() => cfg('--block-size', '2048')).message).to.match(/--block-size/);
    expect(thrown(() => cfg('--link-loss', '1')).message).to.match(/--link-loss/);
    expect(thrown(() => cfg('--count', '0')).message).to.match(/--count/);
    expect(thrown(() => cfg('--log-level', 'loud')).message).to.match(/--log-level/);
    expect(thrown(() => parsePledgeArgs(['--pki', 'p', '--state', 's', '--registrar', 'coaps://h/'])).message).to.match(/coap:\/\//);
    expect(thrown(() => parsePledgeArgs(['--pki', 'p', '--state', 's', '--registrar', 'coap://h/.well-known/est'])).message).to.match(/\/\.well-known\/cmp/);
    expect(thrown(() => parsePledgeArgs(['--pki', 'p', '--registrar', 'coap://h'])).message).to.match(/--state/);
    expect(thrown(() => cfg('--bogus')).code).to.equal('ERR_CONFIG');
  });

  it('no link emulation and RFC 7252 §4.8 ACK_TIMEOUT 2000 ms, MAX_RETRANSMIT 4 by default', () => {
    const c = cfg();
    expect(c.link).to.equal(undefined);
    expect(c).to.include({ ackTimeoutMs: 2000, maxRetransmit: 4 });
    expect(cfg('--ack-timeout', '500', '--max-retransmit', '0')).to.include({ ackTimeoutMs: 500, maxRetransmit: 0 });
  });

  it('--link 6lowpan: 250 kbit/s, 80 payload bytes in 127-byte frames; the other link flags override', () => {
    expect(cfg('--link', '6lowpan').link).to.deep.equal({ kind: '6lowpan', rateBps: 250_000, framePayload: 80, frameOverhead: 47, delayMs: 0, jitterMs: 0, loss: 0 });
    const c = cfg('--link', '6lowpan', '--link-frame-payload', '100', '--link-rate', '100000', '--link-delay', '5', '--link-jitter', '3', '--link-loss', '0.05');
    expect(c.link).to.deep.equal({ kind: '6lowpan', rateBps: 100_000, framePayload: 100, frameOverhead: 27, delayMs: 5, jitterMs: 3, loss: 0.05 });
    expect(c.linkLoss).to.equal(0.05);
    expect(Object.isFrozen(c.link)).to.equal(true);
  });

  it('any link flag alone turns the emulation on (kind none: unlimited rate, one frame per datagram)', () => {
    expect(cfg('--link-loss', '0.1').link).to.deep.equal({ kind: 'none', rateBps: 0, framePayload: 0, frameOverhead: 0, delayMs: 0, jitterMs: 0, loss: 0.1 });
    expect(cfg('--link-delay', '20').link).to.include({ kind: 'none', delayMs: 20, loss: 0 });
    expect(cfg('--link-rate', '9600').link).to.include({ kind: 'none', rateBps: 9600 });
    expect(cfg('--link', 'none').link).to.include({ kind: 'none', rateBps: 0 });
  });

  it('refuses bad link and CoAP tuning values', () => {
    expect(thrown(() => cfg('--link', 'wifi')).message).to.match(/--link must be none or 6lowpan/);
    expect(thrown(() => cfg('--link-rate', '-1')).message).to.match(/--link-rate/);
    expect(thrown(() => cfg('--link-rate', '1e6')).message).to.match(/--link-rate/);
    expect(thrown(() => cfg('--link', '6lowpan', '--link-rate', '0')).message).to.match(/--link-rate/);
    expect(thrown(() => cfg('--link', '6lowpan', '--link-frame-payload', '127')).message).to.match(/--link-frame-payload/);
    expect(thrown(() => cfg('--link', '6lowpan', '--link-frame-payload', '0')).message).to.match(/--link-frame-payload/);
    expect(thrown(() => cfg('--link-delay', '1.5')).message).to.match(/--link-delay/);
    expect(thrown(() => cfg('--link-jitter', 'x')).message).to.match(/--link-jitter/);
    expect(thrown(() => cfg('--link-loss', '-0.1')).message).to.match(/--link-loss/);
    expect(thrown(() => cfg('--link-loss', '')).message).to.match(/--link-loss/);
    expect(thrown(() => cfg('--ack-timeout', '0')).message).to.match(/--ack-timeout/);
    expect(thrown(() => cfg('--ack-timeout', 'soon')).message).to.match(/--ack-timeout/);
    expect(thrown(() => cfg('--max-retransmit', '21')).message).to.match(/--max-retransmit/);
  });

  it('--discover instead of --registrar: the URI is where the join proxy is asked; CMP path /.well-known/cmp', () => {
    const p = parsePledgeArgs(['--pki', 'p', '--state', 's', '--discover', 'coap://[fe80::1]:61616']);
    if (p.help) throw new Error('help');
    expect(p.config).to.include({ discover: 'coap://[fe80::1]:61616', host: 'fe80::1', port: 61616 });
    expect(p.config).not.to.have.property('registrar');
    expect(p.config.path).to.deep.equal(['.well-known', 'cmp']);
    const q = parsePledgeArgs(['--pki', 'p', '--state', 's', '--discover', 'coap://jp.example/.well-known/core']);
    if (q.help) throw new Error('help');
    expect(q.config).to.include({ host: 'jp.example', port: 5683 });
  });

  it('exactly one of --registrar and --discover; --discover takes coap://HOST[:PORT] only', () => {
    const d = (uri: string): string[] => ['--pki', 'p', '--state', 's', '--discover', uri];
    expect(thrown(() => parsePledgeArgs(['--pki', 'p', '--state', 's'])).message).to.match(/--registrar .* or --discover/);
    expect(thrown(() => cfg('--discover', 'coap://127.0.0.1:1')).message).to.match(/exclude each other/);
    expect(thrown(() => parsePledgeArgs(d('coaps://h'))).message).to.match(/--discover: only coap:\/\//);
    expect(thrown(() => parsePledgeArgs(d('coap://h/?rt=x'))).message).to.match(/--discover: a query/);
    expect(thrown(() => parsePledgeArgs(d('coap://h/.well-known/cmp'))).message).to.match(/--discover: give coap:\/\/HOST/);
    expect(thrown(() => parsePledgeArgs(d('not a uri'))).message).to.match(/--discover/);
  });

  it('--help', () => {
    expect(parsePledgeArgs(['--help'])).to.deep.equal({ help: true });
  });
});
