/**
 * What a pledge makes of the CA's certificate request template (genm id-it-certReqTemplate,
 * RFC 9483 §4.3.3, content defined in RFC 9480 §2.16):
 *
 * ```asn1
 * CertReqTemplateContent ::= SEQUENCE {
 *   certTemplate  CertTemplate,
 *   keySpec       Controls OPTIONAL }
 * ```
 *
 * - keySpec: id-regCtrl-algId (an AlgorithmIdentifier: ecPublicKey with a named curve, or
 *   Ed25519) or id-regCtrl-rsaKeyLen (INTEGER) says which key to generate. Without keySpec
 *   the pledge uses its default (P-256). Several entries: the default if offered, else the first
 *   one this pledge can make.
 * - certTemplate.subject: attributes with a value are taken as they are; an empty value marks an
 *   attribute the EE fills in (RFC 9483 §4.3.3): serialNumber and CN get the pledge's serial
 *   number, any other the IDevID subject's value of the same type (or it is left out).
 *   No subject in the template: none is requested (the CA decides).
 * Template extensions are not copied into the request: the CA applies its own profile.
 */
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { StackError } from '../../core/errors.ts';
import { ID_REG_CTRL_ALG_ID, ID_REG_CTRL_RSA_KEY_LEN, decodeAsn1, type CertReqTemplateContent } from '../../codec/cmp/index.ts';
import {
  OID_AT_COMMON_NAME,
  OID_AT_SERIAL_NUMBER,
  OID_EC_PUBLIC_KEY,
  OID_ED25519,
  OID_SECP256R1,
  OID_SECP384R1,
  type KeyAlgorithm,
  type NameAttribute,
} from '../../pki/index.ts';

export interface PledgeTemplateInput {
  /** The pledge's 802.1AR serial number (IDevID subject serialNumber). */
  readonly serialNumber: string;
  /** Values of an attribute type (OID) in the IDevID subject, for filling empty template attributes. */
  readonly idevidAttribute?: (oid: string) => readonly string[];
  /** Key type when the template has no keySpec, and preferred among several (default P-256). */
  readonly defaultKeyAlgorithm?: KeyAlgorithm;
  /** Key types this pledge can generate (default all of KeyAlgorithm). */
  readonly supportedKeyAlgorithms?: readonly KeyAlgorithm[];
}

export interface AppliedCertReqTemplate {
  readonly keyAlgorithm: KeyAlgorithm;
  /** The subject to request (attribute types as OIDs), or undefined to request none. */
  readonly subject?: readonly NameAttribute[];
  /** Whether the key type came from the template's keySpec. */
  readonly keyFromTemplate: boolean;
}

const ALL_KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['P-256', 'P-384', 'Ed25519', 'RSA-2048'];

/** Applies `template` (null: the CA has none) for this pledge. */
export function applyCertReqTemplate(template: CertReqTemplateContent | null, input: PledgeTemplateInput): AppliedCertReqTemplate {
  const dflt = input.defaultKeyAlgorithm ?? 'P-256';
  const supported = input.supportedKeyAlgorithms ?? ALL_KEY_ALGORITHMS;
  if (!template) return { keyAlgorithm: dflt, keyFromTemplate: false };

  let keyAlgorithm = dflt;
  let keyFromTemplate = false;
  const specs = template.keySpec ? [...template.keySpec] : [];
  if (specs.length > 0) {
    const offered = specs.map((c) => keyAlgorithmOfControl(c.type, c.value));
    const usable = offered.filter((a): a is KeyAlgorithm => a !== undefined && supported.includes(a));
    if (usable.length === 0) {
      throw new StackError('ERR_CMP_UNSUPPORTED', `the certificate request template asks for a key type this pledge cannot generate (${specs.map((c) => c.type).join(', ')})`);
    }
    keyAlgorithm = usable.includes(dflt) ? dflt : usable[0]!;
    keyFromTemplate = true;
  }

  const name = template.certTemplate.subject;
  if (!name || name.length === 0) return { keyAlgorithm, keyFromTemplate };
  const subject: NameAttribute[] = [];
  for (const rdn of name) {
    for (const atv of rdn) {
      const given = atv.value.toString();
      if (given !== '') {
        subject.push({ type: atv.type, value: given });
        continue;
      }
      if (atv.type === OID_AT_SERIAL_NUMBER || atv.type === OID_AT_COMMON_NAME) {
        subject.push({ type: atv.type, value: input.serialNumber });
        continue;
      }
      const own = input.idevidAttribute?.(atv.type)[0];
      if (own !== undefined && own !== '') subject.push({ type: atv.type, value: own });
    }
  }
  return subject.length > 0 ? { keyAlgorithm, subject, keyFromTemplate } : { keyAlgorithm, keyFromTemplate };
}

/** The key type one keySpec control asks for, or undefined when this module does not know it. */
export function keyAlgorithmOfControl(type: string, value: ArrayBuffer | null): KeyAlgorithm | undefined {
  if (value === null) return undefined;
  const der = new Uint8Array(value);
  if (type === ID_REG_CTRL_ALG_ID) {
    const alg = decodeAsn1(der, AlgorithmIdentifier, { what: 'keySpec id-regCtrl-algId' });
    if (alg.algorithm === OID_ED25519) return 'Ed25519';
    if (alg.algorithm === OID_EC_PUBLIC_KEY && alg.parameters) {
      const curve = readOid(new Uint8Array(alg.parameters));
      if (curve === OID_SECP256R1) return 'P-256';
      if (curve === OID_SECP384R1) return 'P-384';
    }
    return undefined;
  }
  if (type === ID_REG_CTRL_RSA_KEY_LEN) {
    const parsed = asn1js.fromBER(Uint8Array.from(der).buffer);
    if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Integer)) {
      throw new StackError('ERR_CMP_MALFORMED', 'keySpec id-regCtrl-rsaKeyLen is not an INTEGER');
    }
    return parsed.result.valueBlock.valueDec === 2048 ? 'RSA-2048' : undefined;
  }
  return undefined;
}

function readOid(der: Uint8Array): string | undefined {
  const parsed = asn1js.fromBER(Uint8Array.from(der).buffer);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.ObjectIdentifier)) return undefined;
  return parsed.result.valueBlock.toString();
}
