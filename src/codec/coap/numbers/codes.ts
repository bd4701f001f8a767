/** CoAP codes as one byte: class << 5 | detail (RFC 7252 §12.1; RFC 7959; RFC 8132). */
const c = (cls: number, detail: number): number => (cls << 5) | detail;

export const Code = {
  EMPTY: 0,
  GET: 1,
  POST: 2,
  PUT: 3,
  DELETE: 4,
  FETCH: 5,
  PATCH: 6,
  IPATCH: 7,
  CREATED: c(2, 1),
  DELETED: c(2, 2),
  VALID: c(2, 3),
  CHANGED: c(2, 4),
  CONTENT: c(2, 5),
  CONTINUE: c(2, 31),
  BAD_REQUEST: c(4, 0),
  UNAUTHORIZED: c(4, 1),
  BAD_OPTION: c(4, 2),
  FORBIDDEN: c(4, 3),
  NOT_FOUND: c(4, 4),
  METHOD_NOT_ALLOWED: c(4, 5),
  NOT_ACCEPTABLE: c(4, 6),
  REQUEST_ENTITY_INCOMPLETE: c(4, 8),
  PRECONDITION_FAILED: c(4, 12),
  REQUEST_ENTITY_TOO_LARGE: c(4, 13),
  UNSUPPORTED_CONTENT_FORMAT: c(4, 15),
  INTERNAL_SERVER_ERROR: c(5, 0),
  NOT_IMPLEMENTED: c(5, 1),
  BAD_GATEWAY: c(5, 2),
  SERVICE_UNAVAILABLE: c(5, 3),
  GATEWAY_TIMEOUT: c(5, 4),
  PROXYING_NOT_SUPPORTED: c(5, 5),
} as const;

export const codeClass = (code: number): number => code >> 5;
export const codeDetail = (code: number): number => code & 0x1f;
export const isRequestCode = (code: number): boolean => code >= 1 && code <= 31;
export const isResponseCode = (code: number): boolean => code >= 64 && code <= 191;
export const isSuccess = (code: number): boolean => codeClass(code) === 2;

/** "2.05" style. */
export function formatCode(code: number): string {
  return `${codeClass(code)}.${codeDetail(code).toString().padStart(2, '0')}`;
}

const METHOD_NAMES: Record<number, string> = { 1: 'GET', 2: 'POST', 3: 'PUT', 4: 'DELETE', 5: 'FETCH', 6: 'PATCH', 7: 'iPATCH' };

export function codeName(code: number): string {
  if (code === 0) return 'EMPTY';
  return METHOD_NAMES[code] ?? formatCode(code);
}

export function methodFromName(name: string): number | undefined {
  const up = name.toUpperCase();
  for (const [k, v] of Object.entries(METHOD_NAMES)) if (v.toUpperCase() === up) return Number(k);
  return undefined;
}
