/**
 * The pledge's reading of genm certReqTemplate (RFC 9483 §4.3.3, RFC 9480 §2.16), against the
 * templates the operator CA (ca/policy.ts) really sends.
 */
import { expect } from 'chai';
import * as asn1js from 'asn1js';
import { AttributeTypeAndValue, CertReqTemplateContent, CertTemplate, Controls, ID_REG_CTRL_RSA_KEY_LEN, decodeAsn1, encodeAsn1 } from '../../../src/codec/cmp/index.ts';
import { OID_AT_COMMON_NAME, OID_AT_ORGANIZATION, OID_AT_SERIAL_NUMBER } from '../../../src/pki/index.ts';
import { applyCertReqTemplate } from '../../../src/protocol/pledge/index.ts';
import { certReqTemplate } from '../../../ca/policy.ts';
import { OID_KP_CLIENT_AUTH } from '../../../src/pki/oids.ts';
import { thrown } from '../cmp-protocol/helpers.ts';

/** As it travels: encoded by the CA, decoded by the pledge. */
function overTheWire(t: CertReqTemplateContent): CertReqTemplateContent {
  return decodeAsn1(encodeAsn1(t), CertReqTemplateContent);
}

const pledge = { serialNumber: 'PLEDGE-0007', idevidAttribute: (oid: string) => (oid === OID_AT_ORGANIZATION ? ['Manufacturer Inc'] : []) };

describe('pledge: certificate request template (RFC 9483 §4.3.3)', () => {
  it('no template: P-256, no subject requested', () => {
    expect(applyCertReqTemplate(null, pledge)).to.deep.equal({ keyAlgorithm: 'P-256', keyFromTemplate: false });
  });

  it("the CA's default template: keySpec P-256; O kept, the empty CN filled with the serial number", () => {
    const t = overTheWire(certReqTemplate({ subject: 'O=BRSKI-AE Test Domain, CN=LDevID {serial}', keyType: 'P-256', eku: [OID_KP_CLIENT_AUTH] }));
    expect(applyCertReqTemplate(t, pledge)).to.deep.equal({
      keyAlgorithm: 'P-256',
      keyFromTemplate: true,
      subject: [
        { type: OID_AT_ORGANIZATION, value: 'BRSKI-AE Test Domain' },
        { type: OID_AT_COMMON_NAME, value: 'PLEDGE-0007' },
      ],
    });
  });

  for (const keyType of ['P-384', 'Ed25519', 'RSA-2048'] as const) {
    it(`keySpec ${keyType} is followed`, () => {
      const t = overTheWire(certReqTemplate({ subject: 'CN={serial}', keyType, eku: [OID_KP_CLIENT_AUTH] }));
      expect(applyCertReqTemplate(t, pledge).keyAlgorithm).to.equal(keyType);
    });
  }

  it('empty serialNumber gets the serial; another empty attribute comes from the IDevID subject, or is left out', () => {
    const t = overTheWire(certReqTemplate({ subject: 'O={org}, OU={unit}, serialNumber={serial}', keyType: 'P-256', eku: [OID_KP_CLIENT_AUTH] }));
    expect(applyCertReqTemplate(t, pledge).subject).to.deep.equal([
      { type: OID_AT_ORGANIZATION, value: 'Manufacturer Inc' },
      { type: OID_AT_SERIAL_NUMBER, value: 'PLEDGE-0007' },
    ]);
  });

  it('a key type the pledge cannot make is refused with ERR_CMP_UNSUPPORTED', () => {
    const t = overTheWire(certReqTemplate({ subject: 'CN={serial}', keyType: 'RSA-2048', eku: [OID_KP_CLIENT_AUTH] }));
    const e = thrown(() => applyCertReqTemplate(t, { ...pledge, supportedKeyAlgorithms: ['P-256', 'P-384'] }));
    expect(e.code).to.equal('ERR_CMP_UNSUPPORTED');
    // RSA of another length is unknown altogether.
    const rsa4096 = new CertReqTemplateContent({
      certTemplate: new CertTemplate(),
      keySpec: new Controls([new AttributeTypeAndValue({ type: ID_REG_CTRL_RSA_KEY_LEN, value: new asn1js.Integer({ value: 4096 }).toBER() })]),
    });
    expect(thrown(() => applyCertReqTemplate(overTheWire(rsa4096), pledge)).code).to.equal('ERR_CMP_UNSUPPORTED');
  });

  it('several keySpec entries: the default when offered, else the first usable', () => {
    const both = (first: 'P-384' | 'P-256', second: 'P-384' | 'P-256'): CertReqTemplateContent => {
      const a = certReqTemplate({ subject: 'CN={serial}', keyType: first, eku: [OID_KP_CLIENT_AUTH] });
      const b = certReqTemplate({ subject: 'CN={serial}', keyType: second, eku: [OID_KP_CLIENT_AUTH] });
      return overTheWire(new CertReqTemplateContent({ certTemplate: a.certTemplate, keySpec: new Controls([...a.keySpec!, ...b.keySpec!]) }));
    };
    expect(applyCertReqTemplate(both('P-384', 'P-256'), pledge).keyAlgorithm).to.equal('P-256');
    expect(applyCertReqTemplate(both('P-384', 'P-384'), pledge).keyAlgorithm).to.equal('P-384');
  });

  it('a template without subject requests none; one without keySpec keeps the default', () => {
    const t = overTheWire(new CertReqTemplateContent({ certTemplate: new CertTemplate() }));
    expect(applyCertReqTemplate(t, { ...pledge, defaultKeyAlgorithm: 'Ed25519' })).to.deep.equal({ keyAlgorithm: 'Ed25519', keyFromTemplate: false });
  });
});
