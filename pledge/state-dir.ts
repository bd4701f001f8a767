/**
 * A pledge's state directory, `<state>/<serial>/`:
 *
 *   transaction.json   the in-flight CMP transaction and the new key (mode 0600), while waiting
 *   ldevid.pem         the LDevID, once enrolled
 *   ldevid.key         its private key, PKCS#8 PEM (mode 0600)
 *   chain.pem          the LDevID and its intermediate CAs (without the root)
 *
 * Every file is written to a temporary name, fsync'd and renamed, so a pledge killed at any
 * instant leaves either the old or the new file. The credentials are in place before
 * transaction.json goes away.
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StackError } from '../src/core/errors.ts';
import { certificatePem, certificatesPem, exportPrivateKeyPem, importPrivateKey, parseCertificate, parseCertificates, type Certificate } from '../src/pki/index.ts';
import type { KeyObject } from 'node:crypto';
import {
  chainForStorage,
  parsePledgeTransactionState,
  type PledgeCredentials,
  type PledgeStateStore,
  type PledgeTransactionState,
} from '../src/protocol/pledge/index.ts';

let tmpCounter = 0;

export const TRANSACTION_FILE = 'transaction.json';
export const LDEVID_FILE = 'ldevid.pem';
export const LDEVID_KEY_FILE = 'ldevid.key';
export const CHAIN_FILE = 'chain.pem';

export interface StoredLdevid {
  readonly certificate: Certificate;
  readonly privateKey: KeyObject;
  readonly chain: readonly Certificate[];
}

export class PledgeStateDir implements PledgeStateStore {
  readonly dir: string;

  constructor(stateRoot: string, serialNumber: string) {
    if (!/^[A-Za-z0-9._-]+$/.test(serialNumber) || serialNumber.startsWith('.')) {
      throw new StackError('ERR_CONFIG', `serial number ${JSON.stringify(serialNumber)} cannot name a directory`);
    }
    this.dir = join(stateRoot, serialNumber);
  }

  async load(): Promise<PledgeTransactionState | undefined> {
    const path = join(this.dir, TRANSACTION_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StackError('ERR_IO', `cannot read ${path}`, {}, e);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new StackError('ERR_CONFIG', `${path} is not JSON`, {}, e);
    }
    return parsePledgeTransactionState(json, path);
  }

  async save(state: PledgeTransactionState): Promise<void> {
    await this.write(TRANSACTION_FILE, `${JSON.stringify(state, null, 2)}\n`, 0o600);
  }

  async clear(): Promise<void> {
    try {
      await unlink(join(this.dir, TRANSACTION_FILE));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new StackError('ERR_IO', `cannot remove ${join(this.dir, TRANSACTION_FILE)}`, {}, e);
    }
  }

  async finish(c: PledgeCredentials): Promise<void> {
    await this.write(LDEVID_KEY_FILE, exportPrivateKeyPem(c.privateKey), 0o600);
    await this.write(CHAIN_FILE, certificatesPem(chainForStorage(c.path)), 0o644);
    await this.write(LDEVID_FILE, certificatePem(c.certificate), 0o644);
    await this.clear();
  }

  /** The LDevID of an earlier run, if this pledge is enrolled already. */
  async existing(): Promise<StoredLdevid | undefined> {
    let pem: string;
    try {
      pem = await readFile(join(this.dir, LDEVID_FILE), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StackError('ERR_IO', `cannot read ${join(this.dir, LDEVID_FILE)}`, {}, e);
    }
    try {
      const certificate = parseCertificate(pem);
      const privateKey = importPrivateKey(await readFile(join(this.dir, LDEVID_KEY_FILE), 'utf8'));
      const chain = parseCertificates(await readFile(join(this.dir, CHAIN_FILE), 'utf8'));
      return { certificate, privateKey, chain };
    } catch (e) {
      throw new StackError('ERR_CONFIG', `${this.dir} holds an unreadable LDevID (remove the directory to enroll again)`, {}, e);
    }
  }

  private async write(name: string, text: string, mode: number): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, name);
    const tmp = `${path}.tmp-${process.pid}-${++tmpCounter}`;
    const fh = await open(tmp, 'w', mode);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  }
}
