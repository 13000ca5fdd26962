// The SCEP settings: documented defaults, profiles, and a precise refusal for every bad value.
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/load.js';
import { recordedPlatform } from '../../../src/config/scep.js';
import { loadYaml, problems } from './helpers.js';

describe('SCEP configuration', () => {
  it('has the documented defaults: /scep, no profiles, no plain-HTTP listener', () => {
    expect(loadConfig({ env: {} }).scep).toEqual({
      path: '/scep',
      plain_http: { port: null, host: null },
      ra: { key_bits: 2048, lifetime_days: 365 },
      challenge_ttl_seconds: 3600,
      max_clock_skew_seconds: 3600,
      rate_limits: { pki_operation_per_ip: { max: 300, window_seconds: 600 } },
      profiles: {},
    });
  });

  it('reads profiles, with integrity "unknown" unless set, and records ipados as ios', () => {
    const config = loadYaml(
      'scep: { path: /mdm/scep, profiles: { ipad: { platform: ipados }, mac: { platform: macos, integrity: passed } } }',
    );
    expect(config.scep.path).toBe('/mdm/scep');
    expect(config.scep.profiles).toEqual({
      ipad: { platform: 'ipados', integrity: 'unknown' },
      mac: { platform: 'macos', integrity: 'passed' },
    });
    expect(recordedPlatform('ipados')).toBe('ios');
    expect(recordedPlatform('android')).toBe('android');
  });

  it.each([
    ['scep: { path: scep }', /scep\.path.*URL path/],
    ['scep: { path: /scep/ }', /scep\.path.*no trailing slash/],
    ['scep: { path: /device/scep }', /scep\.path.*already serves/],
    ['scep: { path: /auth }', /scep\.path.*already serves/],
    ['scep: { ra: { key_bits: 1024 } }', /scep\.ra\.key_bits/],
    ['scep: { ra: { lifetime_days: 5 } }', /scep\.ra\.lifetime_days/],
    ['scep: { challenge_ttl_seconds: 10 }', /scep\.challenge_ttl_seconds/],
    ['scep: { challenge_ttl_seconds: 999999999 }', /scep\.challenge_ttl_seconds/],
    ['scep: { max_clock_skew_seconds: 1 }', /scep\.max_clock_skew_seconds/],
    ['scep: { plain_http: { port: 70000 } }', /scep\.plain_http\.port/],
    ['scep: { rate_limits: { pki_operation_per_ip: { max: 0, window_seconds: 1 } } }', /pki_operation_per_ip\.max/],
    ['scep: { profiles: { iOS: { platform: ios } } }', /lower-case letters, digits and dashes/],
    ['scep: { profiles: { ios: { platform: symbian } } }', /scep\.profiles\.ios\.platform/],
    ['scep: { profiles: { ios: { platform: ios, integrity: failed } } }', /scep\.profiles\.ios\.integrity/],
    ['scep: { profiles: { ios: {} } }', /scep\.profiles\.ios\.platform/],
    ['scep: { profiles: { ios: { platform: ios, extra: 1 } } }', /extra/],
  ])('refuses %s', (yaml, message) => {
    expect(problems(yaml)).toMatch(message);
  });
});
