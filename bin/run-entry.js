// Runs one of Latchkey's TypeScript entry points: from the sources through tsx in a checkout, or from the
// compiled build where the sources are absent (the container image).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export async function runEntry(relative) {
  const source = new URL(`../src/${relative}.ts`, import.meta.url);
  if (existsSync(fileURLToPath(source))) {
    const { register } = await import('tsx/esm/api');
    register();
    await import(source.href);
  } else {
    await import(new URL(`../dist/src/${relative}.js`, import.meta.url).href);
  }
}
