// Public surface of the device PKI: pure functions over certificates, CSRs and CRLs, with `now` and the
// CA passed in. Storage, HTTP and the CLI live elsewhere and call these.
export type { GeneratedCa, IssuingCa } from './ca/authority.js';
export { authorityKeyIdentifier, createDeviceCa, createIntermediateCa, createRootCa } from './ca/create.js';
export type { CaCurve, CreateIntermediateCaOptions, CreateRootCaOptions } from './ca/create.js';
export { buildCrl, REVOCATION_REASONS } from './ca/crl.js';
export type { BuildCrlInput, BuiltCrl, RevocationReason, RevokedCertificate } from './ca/crl.js';
export { importCa, loadIssuingCa, signerFromPrivateKeyPem } from './ca/import.js';
export { issueDeviceCertificate } from './ca/issue.js';
export type { IssueDeviceCertificateInput, IssuedDeviceCertificate } from './ca/issue.js';
export { signatureAlgorithmFor, signerMatchesCertificate, webCryptoSigner, x509SigningParams } from './ca/signer.js';
export type { CaSignatureAlgorithm, CaSigner, X509SigningParams } from './ca/signer.js';
export { parseCertificate } from './certificate-input.js';
export type { CertificateInput } from './certificate-input.js';
export { DEFAULT_CSR_LIMITS, parseAndVerifyCsr } from './csr.js';
export type { CsrLimits, DeviceKeyAlgorithm, VerifiedCsr } from './csr.js';
export { certificateSha256, spkiSha256 } from './digest.js';
export { CaError, CaSignerUnavailableError, CsrError, TrustParameterError } from './errors.js';
export type { CaErrorCode, CsrErrorCode } from './errors.js';
export { joinPem, splitPem, toPem } from './pem.js';
export * from './profile.js';
export { DEFAULT_RENEWAL_FRACTION, isRenewalDue, renewalStatus, renewalWindow } from './renewal.js';
export type { RenewalStatus, RenewalWindow } from './renewal.js';
export { normalizeSerial, randomSerial } from './serial.js';
export { deviceCertificateError, verifyDeviceCertificateChain } from './verify.js';
export type {
  DeviceCertificateFailureCode,
  DeviceCertificateVerification,
  RefusedDeviceCertificate,
  TrustAnchors,
  VerifiedDeviceCertificate,
  VerifyDeviceCertificateInput,
} from './verify.js';
export { x509 } from './x509.js';
