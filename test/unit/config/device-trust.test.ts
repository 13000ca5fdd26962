// The device-check and device-trust settings: documented defaults, the URLs derived from them, and a
// precise refusal for every bad value.
import { describe, expect, it } from '@jest/globals';
import { crlUrl, deviceCheckPublicUrl, parseFraction } from '../../../src/config/device-trust.js';
import { loadConfig } from '../../../src/config/load.js';
import { loadYaml, problems } from './helpers.js';

describe('device trust configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({ env: {} });
    expect(config.device_check).toEqual({
      port: 8444,
      host: null,
      public_url: null,
      tls: { cert_file: null, key_file: null },
      client_certificate_header: null,
      handoff_ttl_seconds: 120,
    });
    expect(config.device_trust).toEqual({
      certificate_lifetime_days: 30,
      renewal_fraction: 2 / 3,
      enrollment_token_ttl_seconds: 3600,
      crl_next_update_hours: 24,
      rate_limits: {
        enroll_per_ip: { max: 60, window_seconds: 600 },
        renew_per_ip: { max: 60, window_seconds: 600 },
      },
    });
  });

  it('derives the device-check URL from the issuer host and device_check.port, unless public_url is set', () => {
    const config = loadConfig({
      env: { LATCHKEY_ISSUER: 'https://id.example.com', LATCHKEY_DEVICE_CHECK_PORT: '9444' },
    });
    expect(deviceCheckPublicUrl(config)).toBe('https://id.example.com:9444');
    expect(crlUrl(config)).toBe('https://id.example.com/device/crl');
    const own = loadYaml('device_check: { public_url: "https://certauth.example.com" }');
    expect(deviceCheckPublicUrl(own)).toBe('https://certauth.example.com');
    expect(
      deviceCheckPublicUrl({ issuer: 'http://localhost:8443', device_check: { port: 8444, public_url: null } }),
    ).toBe('https://localhost:8444');
  });

  it.each([
    ['0.5', 0.5],
    ['"2/3"', 2 / 3],
    ['"14/30"', 14 / 30],
    ['" 1 / 4 "', 0.25],
  ])('reads renewal_fraction %s', (value, expected) => {
    expect(loadYaml(`device_trust: { renewal_fraction: ${value} }`).device_trust.renewal_fraction).toBeCloseTo(
      expected,
      12,
    );
  });

  const fraction = 'must be a fraction strictly between 0 and 1, such as 0.5, "2/3" or "14/30"';
  it.each([
    ['device_trust: { certificate_lifetime_days: 0 }', 'device_trust.certificate_lifetime_days = 0'],
    ['device_trust: { certificate_lifetime_days: 399 }', 'device_trust.certificate_lifetime_days = 399'],
    ['device_trust: { certificate_lifetime_days: 1.5 }', 'device_trust.certificate_lifetime_days = 1.5'],
    ['device_trust: { certificate_lifetime_days: "30" }', 'device_trust.certificate_lifetime_days = "30"'],
    ['device_trust: { renewal_fraction: 0 }', `device_trust.renewal_fraction = 0: ${fraction}`],
    ['device_trust: { renewal_fraction: 1 }', `device_trust.renewal_fraction = 1: ${fraction}`],
    ['device_trust: { renewal_fraction: -0.1 }', `device_trust.renewal_fraction = -0.1: ${fraction}`],
    ['device_trust: { renewal_fraction: "3/2" }', `device_trust.renewal_fraction = "3/2": ${fraction}`],
    ['device_trust: { renewal_fraction: "1/0" }', `device_trust.renewal_fraction = "1/0": ${fraction}`],
    ['device_trust: { renewal_fraction: "two thirds" }', `device_trust.renewal_fraction = "two thirds": ${fraction}`],
    ['device_trust: { renewal_fraction: true }', 'device_trust.renewal_fraction = true'],
    [
      'device_check: { tls: { cert_file: /etc/certauth.pem } }',
      "cert_file and key_file must be set together (or both left null to serve the main listener's certificate)",
    ],
    ['device_trust: { enrollment_token_ttl_seconds: 59 }', 'device_trust.enrollment_token_ttl_seconds = 59'],
    ['device_trust: { enrollment_token_ttl_seconds: 2592001 }', 'device_trust.enrollment_token_ttl_seconds = 2592001'],
    ['device_trust: { crl_next_update_hours: 0 }', 'device_trust.crl_next_update_hours = 0'],
    ['device_trust: { crl_next_update_hours: 745 }', 'device_trust.crl_next_update_hours = 745'],
    [
      'device_trust: { rate_limits: { enroll_per_ip: { max: 0, window_seconds: 60 } } }',
      'device_trust.rate_limits.enroll_per_ip.max = 0',
    ],
    [
      'device_trust: { rate_limits: { renew_per_ip: { max: 5, window_seconds: -1 } } }',
      'device_trust.rate_limits.renew_per_ip.window_seconds = -1',
    ],
    [
      'device_trust: { rate_limits: { enroll_per_ip: { max: "many" } } }',
      'device_trust.rate_limits.enroll_per_ip.max = "many"',
    ],
    ['device_trust: { lifetime_days: 30 }', 'unknown setting device_trust.lifetime_days'],
    ['device_check: { host: "" }', 'device_check.host = ""'],
    ['device_check: { port: 0 }', 'device_check.port = 0'],
    ['device_check: { public_url: "not a url" }', 'device_check.public_url = "not a url"'],
    ['device_check: { public_url: "http://certauth.example.com" }', 'must be an https origin'],
    ['device_check: { public_url: "https://certauth.example.com/check" }', 'must be an https origin'],
    ['device_check: { public_url: "https://certauth.example.com/?a=1" }', 'must be an https origin'],
    ['device_check: { public_url: "https://user@certauth.example.com" }', 'must be an https origin'],
    ['device_check: { check_url: "https://x" }', 'unknown setting device_check.check_url'],
  ])('refuses %s', (yaml, message) => {
    expect(problems(yaml)).toContain(message);
  });

  it('parses ratios and nothing else', () => {
    expect(parseFraction('2/3')).toBeCloseTo(2 / 3, 12);
    expect(parseFraction('2/0')).toBeNull();
    expect(parseFraction('2/3/4')).toBeNull();
    expect(parseFraction('0x2/3')).toBeNull();
  });
});
