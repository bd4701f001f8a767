import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { run } from '../../../bin/commands/pki.ts';

const BRSKI = resolve(import.meta.dirname, '../../../bin/brski');

/** Runs the command in this process, capturing what it writes. */
async function runHere(...argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const status = await run(argv);
    return { status, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

function brski(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BRSKI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('brski pki (command)', () => {
  let base: string;
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'brski-pki-cmd-'));
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('init creates the PKI and prints what it made; show summarises and checks it', () => {
    const dir = join(base, 'x');
    const init = brski('pki', 'init', dir, '--pledges', '3');
    expect(init.status, init.stderr).to.equal(0);
    expect(init.stdout).to.include('created test PKI').and.include('pledges/PLEDGE-0003').and.include('domain/registrar');
    expect(statSync(join(dir, 'pledges/PLEDGE-0002/idevid.key')).mode & 0o777).to.equal(0o600);
    const show = brski('pki', 'show', dir);
    expect(show.status, show.stderr).to.equal(0);
    expect(show.stdout).to.include('all 11 certificate chains verify').and.include('serialNumber PLEDGE-0001');
  });

  it('refuses to overwrite without --force (exit 1) and replaces with it', async () => {
    const dir = join(base, 'y');
    expect((await runHere('init', dir)).status).to.equal(0);
    const again = await runHere('init', dir);
    expect(again.status).to.equal(1);
    expect(again.stderr).to.include('--force');
    expect((await runHere('init', dir, '--force', '--key-alg', 'Ed25519')).status).to.equal(0);
    expect((await runHere('show', dir)).stdout).to.include('keys Ed25519');
  });

  it('answers usage errors with exit 2 and --help with exit 0', async () => {
    expect((await runHere('--help')).status).to.equal(0);
    expect((await runHere('init', '--help')).stdout).to.include('--pledges');
    expect((await runHere()).status).to.equal(2);
    expect((await runHere('frob')).status).to.equal(2);
    expect((await runHere('init')).status).to.equal(2);
    expect((await runHere('init', join(base, 'z'), '--pledges', 'many')).status).to.equal(2);
    expect((await runHere('init', join(base, 'z'), '--key-alg', 'DSA')).status).to.equal(2);
    expect((await runHere('show', join(base, 'z'), '--force')).status).to.equal(2);
    expect((await runHere('show', join(base, 'missing'))).status).to.equal(1);
  });
});
