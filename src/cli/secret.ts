// Reading a secret (a password) from the terminal without echoing it, or from stdin when piped. Shared by
// the admin CLI and the agent, which must not load the server's stores to ask for a password.
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { InvalidInputError } from '../errors.js';

/** Reads a secret: all of stdin when piped (--password-stdin), else a prompt with echo off. */
export async function readSecret(prompt: string, fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  if (!process.stdin.isTTY) {
    throw new InvalidInputError(
      'ERR_USAGE_NO_TTY',
      'no terminal to ask for the password: pipe it with --password-stdin',
    );
  }
  const first = await promptHidden(prompt);
  const second = await promptHidden('Repeat: ');
  if (first !== second) throw new InvalidInputError('ERR_USAGE_MISMATCH', 'the two passwords differ');
  return first;
}

function promptHidden(prompt: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(prompt, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}
