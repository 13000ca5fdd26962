// Reading and writing the CMS signed attributes SCEP lives on. Values are read strictly (one value of the
// expected ASN.1 type) so a malformed attribute is reported by name instead of surfacing as a type error.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { toArrayBuffer } from '../pem.js';

/** The values of attribute `type`, or undefined when absent. */
function valuesOf(attributes: readonly pkijs.Attribute[], type: string): unknown[] | undefined {
  return attributes.find((attribute) => attribute.type === type)?.values;
}

/** A problem with one attribute, named for the error message. */
export class AttributeProblem extends Error {}

/** The single string value (PrintableString, UTF8String or IA5String) of `type`, or undefined. */
export function stringAttribute(
  attributes: readonly pkijs.Attribute[],
  type: string,
  name: string,
): string | undefined {
  const values = valuesOf(attributes, type);
  if (values === undefined) return undefined;
  const [value] = values;
  if (values.length !== 1) throw new AttributeProblem(`${name} must have exactly one value`);
  if (
    value instanceof asn1js.PrintableString ||
    value instanceof asn1js.Utf8String ||
    value instanceof asn1js.IA5String
  ) {
    return value.valueBlock.value;
  }
  throw new AttributeProblem(`${name} must be a PrintableString`);
}

/** The single OCTET STRING value of `type` as bytes, or undefined. */
export function octetsAttribute(
  attributes: readonly pkijs.Attribute[],
  type: string,
  name: string,
): Uint8Array | undefined {
  const values = valuesOf(attributes, type);
  if (values === undefined) return undefined;
  const [value] = values;
  if (values.length !== 1 || !(value instanceof asn1js.OctetString)) {
    throw new AttributeProblem(`${name} must be one OCTET STRING`);
  }
  return new Uint8Array(value.getValue());
}

/** The single UTCTime/GeneralizedTime value of `type`, or undefined. */
export function timeAttribute(attributes: readonly pkijs.Attribute[], type: string, name: string): Date | undefined {
  const values = valuesOf(attributes, type);
  if (values === undefined) return undefined;
  const [value] = values;
  if (values.length === 1 && (value instanceof asn1js.UTCTime || value instanceof asn1js.GeneralizedTime)) {
    return value.toDate();
  }
  throw new AttributeProblem(`${name} must be one UTCTime or GeneralizedTime`);
}

export const printable = (type: string, value: string): pkijs.Attribute =>
  new pkijs.Attribute({ type, values: [new asn1js.PrintableString({ value })] });

export const utf8 = (type: string, value: string): pkijs.Attribute =>
  new pkijs.Attribute({ type, values: [new asn1js.Utf8String({ value })] });

export const octets = (type: string, value: Uint8Array): pkijs.Attribute =>
  new pkijs.Attribute({ type, values: [new asn1js.OctetString({ valueHex: toArrayBuffer(value) })] });

export const oid = (type: string, value: string): pkijs.Attribute =>
  new pkijs.Attribute({ type, values: [new asn1js.ObjectIdentifier({ value })] });

export const utcTime = (type: string, value: Date): pkijs.Attribute =>
  new pkijs.Attribute({ type, values: [new asn1js.UTCTime({ valueDate: value })] });
