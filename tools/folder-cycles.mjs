// Folders of src/ import downward only (STYLE.md): this prints every cycle
// between top-level folders of src/ (a file directly in src/ counts as its own
// node) and every import from the runtime core (src/oci) into the image side.
// Exit status 1 when there is one. Used by test/unit/layout.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(dirname(fileURLToPath(import.meta.url))), 'src');
// The runtime core knows nothing of images, snapshots, content or the ctr-level client.
const CORE = 'oci';
const CORE_MUST_NOT = ['image', 'snapshot', 'unpack', 'content', 'remote', 'reference', 'descriptor', 'container', 'cli', 'cli-runc', 'check'];

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}
const nodeOf = (file) => relative(SRC, file).split('/')[0];

export function importGraph() {
  const edges = new Map(); // "a -> b" → example "file => target"
  for (const f of files(SRC)) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/(?:\bfrom|\bimport\(|^import)\s*'(\.{1,2}\/[^']+)'/gm)) {
      const target = normalize(join(dirname(f), m[1]));
      const a = nodeOf(f);
      const b = nodeOf(target);
      if (a !== b && !edges.has(`${a} -> ${b}`)) edges.set(`${a} -> ${b}`, `${relative(SRC, f)} => ${relative(SRC, target)}`);
    }
  }
  return edges;
}

export function findProblems(edges = importGraph()) {
  const out = [];
  const next = new Map();
  for (const k of edges.keys()) {
    const [a, b] = k.split(' -> ');
    if (!next.has(a)) next.set(a, []);
    next.get(a).push(b);
  }
  const state = new Map();
  const stack = [];
  const visit = (n) => {
    state.set(n, 1);
    stack.push(n);
    for (const m of next.get(n) ?? []) {
      if (state.get(m) === 1) {
        const cyc = [...stack.slice(stack.indexOf(m)), m];
        out.push(`cycle: ${cyc.join(' -> ')} (${cyc.slice(0, -1).map((x, i) => edges.get(`${x} -> ${cyc[i + 1]}`)).join('; ')})`);
      } else if (!state.get(m)) visit(m);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of [...next.keys()].sort()) if (!state.get(n)) visit(n);
  for (const bad of CORE_MUST_NOT) {
    const e = edges.get(`${CORE} -> ${bad}`) ?? edges.get(`${CORE} -> ${bad}.ts`);
    if (e) out.push(`the runtime core imports the client side: ${e}`);
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const problems = findProblems();
  for (const p of problems) console.log(p);
  process.exit(problems.length ? 1 : 0);
}
