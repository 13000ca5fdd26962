import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  autoSelectCertificatePolicy,
  CHROME_POLICY_FILE,
  removeChromePolicy,
  writeChromePolicy,
} from '../../../src/agent/chrome-policy.js';
import { INTERMEDIATE_CA_COMMON_NAME } from '../../../src/trust/profile.js';
import { tempDir } from '../trust/fixtures.js';

describe('Chrome AutoSelectCertificateForUrls policy', () => {
  it('filters on the intermediate CN for the device-check origin', () => {
    const policy = autoSelectCertificatePolicy(
      'https://certauth.example.com:8444/device/check?x=1',
      INTERMEDIATE_CA_COMMON_NAME,
    );
    expect(policy.AutoSelectCertificateForUrls).toHaveLength(1);
    expect(JSON.parse(policy.AutoSelectCertificateForUrls[0]!)).toEqual({
      pattern: 'https://certauth.example.com:8444',
      filter: { ISSUER: { CN: INTERMEDIATE_CA_COMMON_NAME } },
    });
  });

  it('writes a file that parses and names the intermediate, readable by the browser', async () => {
    const dir = path.join(tempDir(), 'policies', 'managed');
    const file = await writeChromePolicy({
      deviceCheckUrl: 'https://localhost:8444',
      issuerCommonName: INTERMEDIATE_CA_COMMON_NAME,
      directory: dir,
    });
    expect(file).toBe(path.join(dir, CHROME_POLICY_FILE));
    expect(statSync(file).mode & 0o777).toBe(0o644);
    const policy = JSON.parse(readFileSync(file, 'utf8')) as { AutoSelectCertificateForUrls: string[] };
    const rule = JSON.parse(policy.AutoSelectCertificateForUrls[0]!) as {
      pattern: string;
      filter: { ISSUER: { CN: string } };
    };
    expect(rule.filter.ISSUER.CN).toBe('Latchkey Device Trust Intermediate CA');
    expect(rule.pattern).toBe('https://localhost:8444');
    await removeChromePolicy(dir);
    expect(() => statSync(file)).toThrow();
  });

  it('refuses a device-check URL that is not https', async () => {
    expect(() => autoSelectCertificatePolicy('http://localhost:8444', 'x')).toThrow(
      expect.objectContaining({ code: 'ERR_AGENT_DEVICE_CHECK_URL' }),
    );
    expect(() => autoSelectCertificatePolicy('not a url', 'x')).toThrow(
      expect.objectContaining({ code: 'ERR_AGENT_DEVICE_CHECK_URL' }),
    );
  });
});
