/** Reading JSON from a file for a role's configuration, and checking its values; failures are ERR_CONFIG. */
import { readFileSync } from 'node:fs';
import { StackError } from './errors.ts';

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The JSON value in `path`; `what` names the file in messages ("config file", "allow file"). */
export function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new StackError('ERR_CONFIG', `cannot read ${what} ${path}: ${(e as Error).message}`, {}, e);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new StackError('ERR_CONFIG', `${what} ${path} is not JSON: ${(e as Error).message}`, {}, e);
  }
}

/** The JSON object in `path`; `what` names the file in messages ("config file", "inventory file"). */
export function readJsonObject(path: string, what: string): Record<string, unknown> {
  const v = readJson(path, what);
  if (!isObject(v)) throw new StackError('ERR_CONFIG', `${what} ${path} must hold a JSON object`);
  return v;
}

// --- values of a config file (undefined: not given) ---------------------------------------------

function fail(message: string): never {
  throw new StackError('ERR_CONFIG', message);
}

export function configString(v: unknown, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') fail(`config file: "${what}" must be a string`);
  return v;
}

export function configNonEmptyString(v: unknown, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') fail(`config file: "${what}" must be a non-empty string`);
  return v;
}

export function configStringList(v: unknown, what: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) fail(`config file: "${what}" must be a list of non-empty strings`);
  return v as string[];
}

export function configBool(v: unknown, what: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') fail(`config file: "${what}" must be true or false`);
  return v;
}

/** An integer from a flag (string) or the file (number or digits), within [min, max]. */
export function configInt(v: unknown, what: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) fail(`${what} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}
