/**
 * The one place that loads @peculiar/x509. That library resolves its algorithm providers through
 * tsyringe, which needs the reflect-metadata polyfill loaded first, and it signs through a
 * WebCrypto provider, which we point at node:crypto's. Every other file in src/pki imports x509
 * from here, never from the package directly.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
export const subtle = webcrypto.subtle;
