import { describe, expect, it } from '@jest/globals';
import {
  compareVersions,
  meetsMinimumVersion,
  parsePolicyVersion,
  parseReportedVersion,
} from '../../../src/policies/version.js';

const v = (text: string) => parseReportedVersion(text) ?? [];

describe('OS version comparison', () => {
  it('compares components as numbers, so 14.10 is newer than 14.9', () => {
    expect(compareVersions(v('14.10'), v('14.9'))).toBeGreaterThan(0);
    expect(compareVersions(v('14.2.1'), v('14.10'))).toBeLessThan(0);
  });

  it('treats missing components as zero', () => {
    expect(compareVersions(v('14'), v('14.0.0'))).toBe(0);
    expect(compareVersions(v('14.0.1'), v('14'))).toBeGreaterThan(0);
  });

  it('orders Windows build numbers', () => {
    expect(compareVersions(v('10.0.22631.3155'), v('10.0.19045'))).toBeGreaterThan(0);
  });

  it('meets a minimum only with a known version at or above it', () => {
    expect(meetsMinimumVersion(v('14.0'), [14])).toBe(true);
    expect(meetsMinimumVersion(v('13.6.9'), [14])).toBe(false);
    expect(meetsMinimumVersion(null, [14])).toBe(false);
  });
});

describe('reading versions', () => {
  it('reads reported versions leniently', () => {
    expect(parseReportedVersion('10_15_7')).toEqual([10, 15, 7]);
    expect(parseReportedVersion('14.2 (23C64)')).toEqual([14, 2]);
    expect(parseReportedVersion('v17.2')).toEqual([17, 2]);
    expect(parseReportedVersion('Sonoma')).toBeNull();
    expect(parseReportedVersion(undefined)).toBeNull();
  });

  it('reads policy versions strictly', () => {
    expect(parsePolicyVersion('14.2.1')).toEqual([14, 2, 1]);
    expect(parsePolicyVersion('14.x')).toBeNull();
    expect(parsePolicyVersion('1.2.3.4.5')).toBeNull();
    expect(parsePolicyVersion('')).toBeNull();
  });
});
