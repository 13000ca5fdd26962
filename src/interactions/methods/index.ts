// The registry of sign-in methods, in the order they are offered when several could meet a requirement.
import { passwordMethod } from './password.js';
import { totpMethod } from './totp.js';
import type { SignInMethod } from './types.js';

export const SIGN_IN_METHODS: readonly SignInMethod[] = [passwordMethod, totpMethod];

export function methodNamed(name: string): SignInMethod | undefined {
  return SIGN_IN_METHODS.find((method) => method.name === name);
}

export type { SignInMethod, MethodDeps, RequestFacts, StepOutcome } from './types.js';
