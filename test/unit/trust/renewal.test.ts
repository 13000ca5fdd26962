import { isRenewalDue, renewalStatus, renewalWindow } from '../../../src/trust/renewal.js';

const DAY = 24 * 60 * 60 * 1000;
const notBefore = new Date('2030-01-01T00:00:00Z');
const notAfter = new Date(notBefore.getTime() + 30 * DAY);
const at = (days: number) => new Date(notBefore.getTime() + days * DAY);

describe('renewal window', () => {
  it('opens after two thirds of a 30-day lifetime (day 20) and closes at notAfter', () => {
    expect(renewalWindow(notBefore, notAfter)).toEqual({ opensAt: at(20), closesAt: notAfter });
  });

  it('takes another fraction, e.g. JumpCloud-style renewal after 14 of 30 days', () => {
    expect(renewalWindow(notBefore, notAfter, 14 / 30).opensAt).toEqual(at(14));
  });

  it('is not due before the window, due inside it, and expired after notAfter', () => {
    expect(renewalStatus(notBefore, notAfter, at(19.9))).toBe('not-due');
    expect(renewalStatus(notBefore, notAfter, at(20))).toBe('due');
    expect(renewalStatus(notBefore, notAfter, at(29.9))).toBe('due');
    expect(renewalStatus(notBefore, notAfter, at(30.1))).toBe('expired');
    expect(isRenewalDue(notBefore, notAfter, at(25))).toBe(true);
    expect(isRenewalDue(notBefore, notAfter, at(31))).toBe(false);
    expect(isRenewalDue(notBefore, notAfter, at(1))).toBe(false);
  });

  it('refuses fractions outside (0, 1) and inverted validity', () => {
    expect(() => renewalWindow(notBefore, notAfter, 0)).toThrow(
      expect.objectContaining({ code: 'ERR_TRUST_PARAMETER' }),
    );
    expect(() => renewalWindow(notBefore, notAfter, 1)).toThrow(
      expect.objectContaining({ code: 'ERR_TRUST_PARAMETER' }),
    );
    expect(() => renewalWindow(notBefore, notAfter, Number.NaN)).toThrow(
      expect.objectContaining({ code: 'ERR_TRUST_PARAMETER' }),
    );
    expect(() => renewalWindow(notAfter, notBefore)).toThrow(expect.objectContaining({ code: 'ERR_TRUST_PARAMETER' }));
  });
});
