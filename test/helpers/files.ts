/** Temporary directories and random files for tests. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  readonly path: string;
  /** Writes `size` random bytes (or the given data) to `name` and returns them. */
  write(name: string, data: number | Uint8Array | string): Uint8Array;
  remove(): void;
}

export function makeTempDir(prefix = 'brski-test-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    write(name, data) {
      const bytes = typeof data === 'number' ? new Uint8Array(randomBytes(data)) : typeof data === 'string' ? new TextEncoder().encode(data) : data;
      writeFileSync(join(path, name), bytes);
      return bytes;
    },
    remove() {
      rmSync(path, { recursive: true, force: true });
    },
  };
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
