/**
 * `openssl cmp` as the pledge and libcoap's `coap-client-notls` as its CoAP transport, against
 * `brski registrar serve` in front of `brski ca serve` (all real processes).
 *
 * OpenSSL 3.0 speaks CMP over HTTP only. Each CMP message openssl makes in one transaction is
 * caught by a small HTTP-to-CoAP bridge in this test (RFC 9482 §3 describes such a proxy),
 * written to a file and posted with
 *
 *   coap-client-notls -m post -b 64 -t 259 -f msg.der -o rsp.der coap://127.0.0.1:PORT/.well-known/cmp
 *
 * and libcoap's answer file goes back to openssl, which checks it as CMP client: transactionID,
 * recipNonce = its senderNonce, protection chaining to -trusted (the domain root). So one openssl
 * transaction — ir, pollReq while waiting, certConf — runs message by message through libcoap
 * with 64-byte blocks, and openssl accepts every answer. (-reqout/-rspin alone cannot do this:
 * every openssl run makes new nonces and the answers must match them.)
 *
 * Missing openssl or coap-client-notls: skipped loudly on a developer machine, a failure under CI.
 */
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PKIStatus, bodyTypeOf, decodePkiMessage, type PKIMessage } from '../../src/codec/cmp/index.ts';
import { exportPrivateKeyPem, generateKeyPairSync, initTestPki, parseCertificate, readSubjectSerialNumber, type TestPki } from '../../src/pki/index.ts';
import { makeTempDir, type TempDir } from '../helpers/files.ts';
import { BRSKI, killAll, requirePeer, run, spawnReady, type ReadyProcess, type RunResult } from '../helpers/processes.ts';

interface Exchange {
  readonly request: string;
  readonly response: string;
  readonly responseMsg: PKIMessage;
}

function freeTcpPort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createTcpServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

describe('interop: openssl cmp over libcoap coap-client → brski registrar serve → brski ca serve', function () {
  this.timeout(120_000);
  let openssl: string;
  let coapClient: string;
  let dir: TempDir;
  let pki: TestPki;
  let caPort: number;
  let ca: ReadyProcess | undefined;
  let registrar: ReadyProcess;
  let registrarPort: number;
  let bridge: Server;
  let bridgePort: number;
  let n = 0;
  let exchanges: Exchange[] = [];
  const coapFailures: string[] = [];

  const path = (name: string): string => join(dir.path, name);
  const output = (r: RunResult): string => `${r.stdout.toString('utf8')}${r.stderr}`;
  const describeMsg = (m: PKIMessage): string => {
    const t = bodyTypeOf(m);
    if (t === 'ip' || t === 'cp' || t === 'kup') {
      const s = m.body[t]!.response[0]!.status.status;
      return s === PKIStatus.waiting ? `${t}(waiting)` : t;
    }
    return t;
  };

  async function startCa(): Promise<void> {
    ca = await spawnReady(BRSKI, ['ca', 'serve', '--pki', pki.dir, '--db', path('ca.db'), '--port', String(caPort), '--allow-any', '--log-level', 'warn'], {
      ready: /^ready http:\/\/127\.0\.0\.1:(\d+)$/,
      timeoutMs: 30_000,
    });
  }

  before(async function () {
    openssl = requirePeer(this, 'openssl', 'install openssl 3.x');
    coapClient = requirePeer(this, 'coap-client-notls');
    dir = makeTempDir('brski-interop-registrar-');
    pki = await initTestPki(path('pki'), { pledges: 3 });
    for (let i = 0; i < 3; i++) writeFileSync(path(`new-${i}.key`), exportPrivateKeyPem(generateKeyPairSync('P-256').privateKey), { mode: 0o600 });
    writeFileSync(path('allow.json'), JSON.stringify(['PLEDGE-0001', 'PLEDGE-0002']));
    caPort = await freeTcpPort();
    await startCa();
    registrar = await spawnReady(
      BRSKI,
      [
        'registrar', 'serve', '--pki', pki.dir, '--db', path('registrar.db'), '--port', '0', '--ca-url', `http://127.0.0.1:${caPort}`,
        '--allow', path('allow.json'), '--check-after', '1', '--retry-base', '300', '--upstream-timeout', '3000', '--log-level', 'warn',
      ],
      { ready: /^ready coap:\/\/127\.0\.0\.1:(\d+)$/, timeoutMs: 30_000 },
    );
    registrarPort = Number(registrar.match[1]);

    // The HTTP-to-CoAP bridge: every CMP message openssl sends goes out through coap-client.
    bridge = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          const i = n++;
          const reqFile = path(`msg-${i}.der`);
          const rspFile = path(`rsp-${i}.der`);
          const body = Buffer.concat(chunks);
          writeFileSync(reqFile, body);
          const r = await run(coapClient, ['-m', 'post', '-b', '64', '-t', '259', '-B', '30', '-f', reqFile, '-o', rspFile, `coap://127.0.0.1:${registrarPort}/.well-known/cmp`], {
            timeoutMs: 40_000,
          });
          let rsp: Buffer;
          try {
            rsp = readFileSync(rspFile);
          } catch {
            rsp = Buffer.alloc(0);
          }
          if (r.code !== 0 || rsp.length === 0) {
            coapFailures.push(`coap-client exit ${r.code}: ${output(r)}`);
            res.writeHead(502).end();
            return;
          }
          const responseMsg = decodePkiMessage(new Uint8Array(rsp));
          exchanges.push({ request: describeMsg(decodePkiMessage(new Uint8Array(body))), response: describeMsg(responseMsg), responseMsg });
          res.writeHead(200, { 'content-type': 'application/pkixcmp', 'content-length': rsp.length }).end(rsp);
        })();
      });
    });
    await new Promise<void>((r) => bridge.listen(0, '127.0.0.1', r));
    const a = bridge.address();
    bridgePort = typeof a === 'object' && a ? a.port : 0;
  });

  after(async () => {
    await new Promise<void>((r) => (bridge ? bridge.close(() => r()) : r()));
    await killAll();
    dir?.remove();
  });

  beforeEach(() => {
    exchanges = [];
    coapFailures.length = 0;
  });

  function cmp(pledge: number, extra: string[]): Promise<RunResult> {
    const c = pki.pledges[pledge]!;
    return run(
      openssl,
      [
        'cmp', '-config', '', '-batch', '-server', `127.0.0.1:${bridgePort}`, '-path', '/.well-known/cmp',
        '-trusted', pki.domain.rootCa.files.cert,
        '-cert', c.files.cert, '-key', c.files.key, '-extracerts', pki.manufacturer.issuingCa.files.cert,
        '-msg_timeout', '40', '-total_timeout', '90',
        ...extra,
      ],
      { timeoutMs: 110_000 },
    );
  }

  function ok(r: RunResult): string {
    const out = output(r);
    expect(r.code, `${out}\ncoap failures: ${coapFailures.join('\n')}`).to.equal(0);
    return out;
  }

  it('online: ir → ip (relayed from the CA) → certConf → pkiConf, every message through coap-client with 64-byte blocks', async () => {
    const out = ok(await cmp(0, ['-cmd', 'ir', '-newkey', path('new-0.key'), '-subject', '/CN=coap pledge', '-certout', path('ir.pem')]));
    expect(out).to.match(/received IP/).and.match(/received PKICONF/);
    expect(exchanges.map((e) => `${e.request}→${e.response}`)).to.deep.equal(['ir→ip', 'certConf→pkiconf']);
    const cert = parseCertificate(readFileSync(path('ir.pem'), 'utf8'));
    expect(readSubjectSerialNumber(cert)).to.equal('PLEDGE-0001');
    ok(await run(openssl, ['verify', '-CAfile', pki.domain.rootCa.files.cert, '-untrusted', pki.domain.issuingCa.files.cert, path('ir.pem')]));
    // The request coap-client posted is the one openssl made (IDevID-signed ir), block-wise.
    const ir = decodePkiMessage(new Uint8Array(readFileSync(path(`msg-${n - 2}.der`))));
    expect(bodyTypeOf(ir)).to.equal('ir');
    expect(ir.extraCerts!.length).to.be.greaterThan(0);
  });

  it('offline: the registrar answers waiting, openssl polls through coap-client, and gets the certificate once the CA is back', async () => {
    await ca!.kill();
    ca = undefined;
    const pending = cmp(1, ['-cmd', 'ir', '-newkey', path('new-1.key'), '-subject', '/CN=offline pledge', '-certout', path('offline.pem')]);
    // Wait until openssl polls at least twice, then bring the CA back.
    const deadline = Date.now() + 40_000;
    while (exchanges.filter((e) => e.request === 'pollReq').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(exchanges[0]?.response, JSON.stringify(exchanges.map((e) => e.response))).to.equal('ip(waiting)');
    await startCa();
    const out = ok(await pending);
    expect(out).to.match(/received PKICONF/);
    const seq = exchanges.map((e) => `${e.request}→${e.response}`);
    expect(seq[0]).to.equal('ir→ip(waiting)');
    expect(seq).to.include('pollReq→pollRep');
    expect(seq.slice(-2)).to.deep.equal(['pollReq→ip', 'certConf→pkiconf']);
    // The delivered ip and the pkiConf are the registrar's own (re-protected), which openssl accepted.
    const ip = exchanges[exchanges.length - 2]!.responseMsg;
    const signerCert = parseCertificate(ip.extraCerts![0]!.der);
    expect(signerCert.subject).to.equal(pki.domain.registrar.certificate.subject);
    ok(await run(openssl, ['verify', '-CAfile', pki.domain.rootCa.files.cert, '-untrusted', pki.domain.issuingCa.files.cert, path('offline.pem')]));
    expect(readSubjectSerialNumber(parseCertificate(readFileSync(path('offline.pem'), 'utf8')))).to.equal('PLEDGE-0002');
  });

  it('refusal: a pledge not on the allow list gets a CMP error (notAuthorized) inside a CoAP success; openssl exits non-zero', async () => {
    const r = await cmp(2, ['-cmd', 'ir', '-newkey', path('new-2.key'), '-subject', '/CN=unlisted', '-certout', path('unlisted.pem')]);
    expect(r.code).to.not.equal(0);
    expect(output(r), output(r)).to.match(/notAuthorized/);
    expect(exchanges.map((e) => `${e.request}→${e.response}`)).to.deep.equal(['ir→error']);
  });
});
