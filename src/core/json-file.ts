/** Reading a JSON object from a file for a role's configuration; failures are ERR_CONFIG. */
import { readFileSync } from 'node:fs';
import { StackError } from './errors.ts';

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The JSON object in `path`; `what` names the file in messages ("config file", "inventory file"). */
export function readJsonObject(path: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new StackError('ERR_CONFIG', `cannot read ${what} ${path}: ${(e as Error).message}`, {}, e);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new StackError('ERR_CONFIG', `${what} ${path} is not JSON: ${(e as Error).message}`, {}, e);
  }
  if (!isObject(v)) throw new StackError('ERR_CONFIG', `${what} ${path} must hold a JSON object`);
  return v;
}
