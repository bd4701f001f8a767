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

  it('--help', () => {
    expect(parsePledgeArgs(['--help'])).to.deep.equal({ help: true });
  });
});
