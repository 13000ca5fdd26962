// The single door to @peculiar/x509: it loads reflect-metadata first (the library needs it before use)
// and points the library at the runtime's WebCrypto. Every trust and agent module imports x509 from here.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(globalThis.crypto);

export { x509 };
