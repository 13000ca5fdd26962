// FIDO metadata the operator supplies (passkeys.metadata_file), read once at start and never fetched:
// either an MDS3 BLOB (a JWT, its signature and chain checked against the FIDO Alliance roots that
// SimpleWebAuthn carries) or a JSON array of metadata statements the operator vetted. Loaded into
// SimpleWebAuthn's MetadataService, whose attestation roots then anchor the chains of those models; the
// AAGUIDs the BLOB reports as compromised are refused outright.
import { readFile } from 'node:fs/promises';
import { MetadataService, type MetadataStatement } from '@simplewebauthn/server';
import { verifyMDSBlob } from '@simplewebauthn/server/helpers';
import { ConfigError } from '../errors.js';

/** Status reports after which an authenticator model must not be trusted (FIDO MDS3). */
const COMPROMISED = new Set([
  'USER_VERIFICATION_BYPASS',
  'ATTESTATION_KEY_COMPROMISE',
  'USER_KEY_REMOTE_COMPROMISE',
  'USER_KEY_PHYSICAL_COMPROMISE',
  'REVOKED',
]);

export interface PasskeyMetadata {
  /** True when a statement for this AAGUID anchors attestation chains. */
  has(aaguid: string): boolean;
  /** True when the BLOB reports this model compromised. */
  compromised(aaguid: string): boolean;
  readonly statements: number;
}

export const NO_METADATA: PasskeyMetadata = { has: () => false, compromised: () => false, statements: 0 };

/** Reads `file` (null: no metadata) and loads it into SimpleWebAuthn's MetadataService, offline. */
export async function loadPasskeyMetadata(file: string | null): Promise<PasskeyMetadata> {
  if (file === null) return NO_METADATA;
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    throw new ConfigError(
      `passkeys.metadata_file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  const { statements, compromised } = text.startsWith('[') ? fromStatements(file, text) : await fromBlob(file, text);
  // No mdsServers: SimpleWebAuthn would otherwise download the FIDO BLOB itself.
  await MetadataService.initialize({ mdsServers: [], statements, verificationMode: 'permissive' });
  const known = new Set(statements.map((statement) => statement.aaguid).filter(Boolean));
  return {
    has: (aaguid) => known.has(aaguid),
    compromised: (aaguid) => compromised.has(aaguid),
    statements: known.size,
  };
}

function fromStatements(file: string, text: string): { statements: MetadataStatement[]; compromised: Set<string> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`passkeys.metadata_file ${file} is neither an MDS3 BLOB nor a JSON array of statements`);
  }
  const statements = (parsed as unknown[]).filter(
    (entry): entry is MetadataStatement =>
      typeof entry === 'object' &&
      entry !== null &&
      typeof (entry as MetadataStatement).aaguid === 'string' &&
      Array.isArray((entry as MetadataStatement).attestationRootCertificates),
  );
  if (statements.length === 0) {
    throw new ConfigError(`passkeys.metadata_file ${file} holds no metadata statement with an aaguid and roots`);
  }
  return { statements, compromised: new Set() };
}

async function fromBlob(
  file: string,
  blob: string,
): Promise<{ statements: MetadataStatement[]; compromised: Set<string> }> {
  try {
    const verified = await verifyMDSBlob(blob);
    const compromised = new Set(
      verified.payload.entries
        .filter((entry) => entry.aaguid && entry.statusReports.some((report) => COMPROMISED.has(report.status)))
        .map((entry) => entry.aaguid!),
    );
    return { statements: verified.statements, compromised };
  } catch (error) {
    throw new ConfigError(`passkeys.metadata_file ${file} is not a valid FIDO MDS3 BLOB: ${(error as Error).message}`);
  }
}
