// Secrets never reach the logs: the logger redacts them by path, whatever the caller passes.
import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../../src/log.js';

describe('log redaction', () => {
  it('redacts passwords, client secrets, tokens, codes, cookies and authorization headers', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger('info', sink);
    log.info(
      {
        password: 'hunter2-hunter2',
        body: { password: 'nested-secret', otp: '123456' },
        client_secret: 'cs-value',
        token: 'tok-value',
        code: 'code-value',
        req: { headers: { authorization: 'Basic abc', cookie: '_session=xyz' } },
      },
      'attempt',
    );
    await new Promise((resolve) => setImmediate(resolve));
    const text = lines.join('');
    for (const secret of [
      'hunter2-hunter2',
      'nested-secret',
      '123456',
      'cs-value',
      'tok-value',
      'code-value',
      'Basic abc',
      '_session=xyz',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
  });
});
