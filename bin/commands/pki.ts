/**
 * `brski pki init DIR [--pledges N]`: generate a test PKI (manufacturer, MASA, domain, registrar,
 * RA/CA and N pledge IDevIDs) with a pki.json manifest; `brski pki show DIR`: summarise and check one.
 * The layout is described in docs/pki-layout.md.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { isStackError } from '../../src/core/errors.ts';
import {
  DEFAULT_MASA_URL,
  formatName,
  initTestPki,
  isKeyAlgorithm,
  KEY_ALGORITHMS,
  loadPki,
  MAX_TEST_PLEDGES,
  OID_KP_CMC_RA,
  readExtendedKeyUsage,
  readMasaUrl,
  readSubjectSerialNumber,
  verifyChain,
  type Credential,
  type TestPki,
} from '../../src/pki/index.ts';

const HELP = `usage: brski pki init DIR [--pledges N] [--force] [--masa-url URL] [--key-alg ALG]
       brski pki show DIR

init   generate a test PKI in DIR: manufacturer root and issuing CA, MASA signing and TLS
       certificates, domain root and issuing CA, registrar and RA/CA service certificates,
       and N pledge IDevIDs (PLEDGE-0001 …), plus pki.json listing every file
show   print a summary of the PKI in DIR and check every certificate chain

options (init):
  --pledges N      number of pledges, 0..${MAX_TEST_PLEDGES} (default 1)
  --force          replace an existing PKI in DIR (only its own entries are removed)
  --masa-url URL   id-pe-masa-url in the IDevIDs (default ${DEFAULT_MASA_URL})
  --key-alg ALG    ${KEY_ALGORITHMS.join(' | ')} (default P-256)
exit status: 0 on success, 1 on failure, 2 on usage errors`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(`${HELP}\n`);
    return sub ? 0 : 2;
  }
  if (sub !== 'init' && sub !== 'show') {
    process.stderr.write(`brski pki: unknown subcommand '${sub}'\n${HELP}\n`);
    return 2;
  }
  let args;
  try {
    args = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        pledges: { type: 'string' },
        force: { type: 'boolean' },
        'masa-url': { type: 'string' },
        'key-alg': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`brski pki ${sub}: ${(e as Error).message}\n`);
    return 2;
  }
  const v = args.values;
  if (v.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (args.positionals.length !== 1) {
    process.stderr.write(`brski pki ${sub}: exactly one directory expected\n`);
    return 2;
  }
  const dir = args.positionals[0]!;
  if (sub === 'show') {
    if (v.pledges !== undefined || v.force || v['masa-url'] !== undefined || v['key-alg'] !== undefined) {
      process.stderr.write('brski pki show: takes no options\n');
      return 2;
    }
    return guard(() => show(dir));
  }

  let pledges = 1;
  if (v.pledges !== undefined) {
    if (!/^\d+$/.test(v.pledges) || Number(v.pledges) > MAX_TEST_PLEDGES) {
      process.stderr.write(`brski pki init: --pledges wants an integer from 0 to ${MAX_TEST_PLEDGES}\n`);
      return 2;
    }
    pledges = Number(v.pledges);
  }
  const keyAlg = v['key-alg'] ?? 'P-256';
  if (!isKeyAlgorithm(keyAlg)) {
    process.stderr.write(`brski pki init: --key-alg wants one of ${KEY_ALGORITHMS.join(', ')}\n`);
    return 2;
  }
  const masaUrl = v['masa-url'] ?? DEFAULT_MASA_URL;
  return guard(async () => {
    const started = performance.now();
    const pki = await initTestPki(dir, { pledges, force: v.force ?? false, masaUrl, keyAlgorithm: keyAlg });
    const ms = performance.now() - started;
    const out: string[] = [`created test PKI in ${pki.dir} (${keyAlg}, ${pledges} pledge(s), ${(ms / 1000).toFixed(2)} s)`];
    out.push(...describe(pki));
    out.push(`${pki.created.length} files written; private keys (*.key) have mode 0600`);
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  });
}

async function show(dir: string): Promise<number> {
  const pki = await loadPki(dir);
  const m = pki.manifest;
  const out = [
    `test PKI in ${pki.dir}`,
    `  format ${m.format}, created ${m.created}, keys ${m.keyAlgorithm}`,
    `  MASA URL ${m.masaUrl}`,
    ...describe(pki),
  ];
  const problems = checkChains(pki);
  if (problems.length === 0) {
    out.push(`all ${8 + pki.pledges.length} certificate chains verify`);
  } else {
    out.push(...problems.map((p) => `CHAIN FAILURE ${p}`));
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return problems.length === 0 ? 0 : 1;
}

function describe(pki: TestPki): string[] {
  const rel = (c: Credential): string => relative(pki.dir, c.files.cert).replace(/\.pem$/, '');
  const line = (label: string, c: Credential): string => {
    const ekus = readExtendedKeyUsage(c.certificate);
    const eku = ekus ? `, EKU ${ekus.map(ekuName).join(' ')}` : '';
    const until = c.certificate.notAfter.toISOString().slice(0, 10);
    return `  ${label.padEnd(22)} ${rel(c).padEnd(24)} ${formatName(c.certificate.subjectName)} (until ${until}${eku})`;
  };
  const lines = [
    'manufacturer:',
    line('root CA', pki.manufacturer.rootCa),
    line('IDevID issuing CA', pki.manufacturer.issuingCa),
    line('MASA voucher signing', pki.manufacturer.masa),
    line('MASA TLS server', pki.manufacturer.masaTls),
    'domain:',
    line('root CA', pki.domain.rootCa),
    line('issuing CA (LDevID)', pki.domain.issuingCa),
    line('registrar', pki.domain.registrar),
    line('RA/CA CMP service', pki.domain.raCa),
    `pledges (${pki.pledges.length}), each idevid.{pem,der,key} + chain.pem:`,
  ];
  const shown = pki.pledges.length <= 20 ? pki.pledges : [...pki.pledges.slice(0, 3), undefined, ...pki.pledges.slice(-3)];
  for (const p of shown) {
    if (!p) {
      lines.push(`  … ${pki.pledges.length - 6} more`);
      continue;
    }
    const serial = readSubjectSerialNumber(p.certificate) ?? '?';
    const masa = readMasaUrl(p.certificate) ?? 'no MASA URL';
    lines.push(`  ${relative(pki.dir, p.files.cert).replace(/\/idevid\.pem$/, '').padEnd(22)} serialNumber ${serial}, MASA ${masa}`);
  }
  return lines;
}

function checkChains(pki: TestPki): string[] {
  const problems: string[] = [];
  const check = (what: string, c: Credential, root: Credential, requireEku?: string): void => {
    try {
      verifyChain(c.certificate, c.chain.slice(1), [root.certificate], requireEku ? { requireEku } : {});
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`);
    }
  };
  const mRoot = pki.manufacturer.rootCa;
  const dRoot = pki.domain.rootCa;
  check('manufacturer root CA', mRoot, mRoot);
  check('manufacturer issuing CA', pki.manufacturer.issuingCa, mRoot);
  check('MASA', pki.manufacturer.masa, mRoot);
  check('MASA TLS', pki.manufacturer.masaTls, mRoot);
  check('domain root CA', dRoot, dRoot);
  check('domain issuing CA', pki.domain.issuingCa, dRoot);
  check('registrar', pki.domain.registrar, dRoot, OID_KP_CMC_RA);
  check('RA/CA', pki.domain.raCa, dRoot);
  for (const p of pki.pledges) check(p.serialNumber, p, mRoot);
  return problems;
}

const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.27': 'cmcCA',
  '1.3.6.1.5.5.7.3.28': 'cmcRA',
};

function ekuName(oid: string): string {
  return EKU_NAMES[oid] ?? oid;
}

async function guard(fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    const code = isStackError(e) ? ` [${e.code}]` : '';
    process.stderr.write(`brski pki: ${(e as Error).message}${code}\n`);
    return 1;
  }
}
