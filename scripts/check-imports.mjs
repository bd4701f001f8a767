// Keeps imports flowing one way: core <- codec <- protocol <- stack <- roles <- bin (DESIGN.md §4).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const rank = { 'src/core': 0, 'src/codec': 1, 'src/pki': 1, 'src/protocol': 2, 'src/transport': 2, 'src/store': 2, 'src/stack': 3 };
const roles = ['proxy', 'registrar', 'pledge', 'masa', 'ca', 'bin', 'cli'];

function layerOf(file) {
  const rel = relative(root, file);
  for (const r of roles) if (rel.startsWith(`${r}/`)) return { name: r, rank: 10 };
  for (const [k, v] of Object.entries(rank)) if (rel.startsWith(`${k}/`)) return { name: k, rank: v };
  return undefined;
}

function* walk(dir) {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const bad = [];
for (const file of walk(join(root, 'src'))) {
  const from = layerOf(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/from\s+['"](\.[^'"]+)['"]/g)) {
    const to = layerOf(resolve(dirname(file), m[1]));
    if (!from || !to || from.name === to.name) continue;
    if (to.rank > from.rank || (to.name === 'src/transport' && from.name !== 'src/stack' && from.rank < 3)) {
      bad.push(`${relative(root, file)} imports ${m[1]} (${from.name} may not import ${to.name})`);
    }
  }
}
if (bad.length) {
  console.error(bad.join('\n'));
  process.exit(1);
}
console.log('imports: ok');
