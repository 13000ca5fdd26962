// TLS material of the main listener: the configured files, or for development a self-signed certificate
// for localhost generated once under data_dir/dev-tls and clearly labelled as such.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { webcrypto } from 'node:crypto';
import { x509 } from '../trust/x509.js';
import { ConfigError } from '../errors.js';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** Set when the development certificate is in use. */
  devCertFile?: string;
}

export const DEV_CERT_CN = 'Latchkey DEVELOPMENT certificate - not for production';

/** Reads the configured certificate and key, or creates/reuses the development certificate. */
export async function loadTlsMaterial(
  tls: { cert_file: string | null; key_file: string | null },
  dataDir: string,
): Promise<TlsMaterial> {
  if (tls.cert_file && tls.key_file) {
    return {
      cert: readConfigured(tls.cert_file, 'server.tls.cert_file'),
      key: readConfigured(tls.key_file, 'server.tls.key_file'),
    };
  }
  const dir = path.join(dataDir, 'dev-tls');
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    const { cert, key } = await createDevCertificate();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(keyFile, key, { mode: 0o600 });
    writeFileSync(certFile, cert, { mode: 0o644 });
  }
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), devCertFile: certFile };
}

/**
 * The device-check listener's certificate: device_check.tls when set (its own host name, e.g.
 * certauth.example.com), else the main listener's, which must then name that host too.
 */
export function deviceCheckTlsMaterial(
  tls: { cert_file: string | null; key_file: string | null },
  main: TlsMaterial,
): TlsMaterial {
  if (!tls.cert_file || !tls.key_file) return main;
  return {
    cert: readConfigured(tls.cert_file, 'device_check.tls.cert_file'),
    key: readConfigured(tls.key_file, 'device_check.tls.key_file'),
  };
}

function readConfigured(file: string, setting: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `${setting} = ${JSON.stringify(file)}: cannot read it (${(error as NodeJS.ErrnoException).code ?? error})`,
    );
  }
}

/** A one-year self-signed ECDSA P-256 certificate for localhost, 127.0.0.1 and ::1. */
export async function createDevCertificate(): Promise<{ cert: string; key: string }> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: `CN=${DEV_CERT_CN}, O=Latchkey development`,
    notBefore: new Date(now - 5 * 60_000),
    notAfter: new Date(now + 365 * 86_400_000),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { cert: cert.toString('pem') + '\n', key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n' };
}
