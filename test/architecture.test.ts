/**
 * Architecture guard (issue 14, "Done when" 1): the base folders of `src/` import no feature
 * folder, features import neither composition root, and `src/` has no import cycle. Type-only
 * imports count: a cycle through types still ties the files' meanings together.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { it } from 'node:test';

const SRC = resolve(import.meta.dirname, '..', 'src');
const BASE_FOLDERS = new Set(['db', 'config', 'log', 'http', 'crypto', 'net', 'events', 'cache']);
const COMPOSITION_ROOTS = new Set(['server', 'cli']);

/**
 * Known violations, shrinking to empty. Each entry is `from-file -> to-file` (paths under src/).
 * A new violation fails the test; an entry that no longer occurs fails it too, so the list shrinks.
 */
const ALLOWED_EDGES = new Set<string>([]);
/** Known cycles (the sorted files of each strongly connected component, joined by ' | '). */
const ALLOWED_CYCLES = new Set<string>([]);

const IMPORT = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]/g;
const DYNAMIC_IMPORT = /import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Relative import specifiers of one file, resolved to paths under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(IMPORT), ...text.matchAll(DYNAMIC_IMPORT)].map((m) => m[1] as string);
  return [...new Set(specifiers)].map((s) =>
    relative(SRC, resolve(dirname(file), s.replace(/\.js$/, '.ts'))),
  );
}

const folderOf = (path: string): string => (path.includes(sep) ? (path.split(sep)[0] as string) : '');
const isFeature = (folder: string): boolean =>
  folder !== '' && !BASE_FOLDERS.has(folder) && !COMPOSITION_ROOTS.has(folder);

const graph = new Map<string, string[]>(sourceFiles(SRC).map((f) => [relative(SRC, f), importsOf(f)]));

function boundaryViolations(): string[] {
  const edges: string[] = [];
  for (const [from, targets] of graph) {
    const source = folderOf(from);
    for (const to of targets) {
      const target = folderOf(to);
      if (target === source) continue;
      const baseToFeature = BASE_FOLDERS.has(source) && (isFeature(target) || COMPOSITION_ROOTS.has(target));
      const featureToRoot = isFeature(source) && COMPOSITION_ROOTS.has(target);
      if (baseToFeature || featureToRoot) edges.push(`${from} -> ${to}`);
    }
  }
  return edges.sort();
}

/** Tarjan's strongly connected components; every component of two or more files (or a self-import) is a cycle. */
function cycles(): string[] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)?.includes(node)) found.push(component.sort().join(' | '));
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found.sort();
}

// The CLI is server-side code and may use the integrator package (`webhooks listen` verifies with it).
const CLIENT_PACKAGE = join('..', 'packages', 'client', 'src') + sep;
const intoClientPackage = (from: string, to: string): boolean =>
  folderOf(from) === 'cli' && to.startsWith(CLIENT_PACKAGE) && existsSync(join(SRC, to));

it('resolves every relative import of src/ to a file that exists', () => {
  const missing = [...graph].flatMap(([from, targets]) =>
    targets
      .filter((t) => t.endsWith('.ts') && !graph.has(t) && !intoClientPackage(from, t))
      .map((t) => `${from} -> ${t}`),
  );
  assert.deepEqual(missing, []);
});

it('keeps the client package free of server code: it imports nothing outside packages/client/src', () => {
  const root = resolve(SRC, CLIENT_PACKAGE);
  const escaping = sourceFiles(root).flatMap((file) =>
    importsOf(file)
      .filter((t) => !t.startsWith(CLIENT_PACKAGE))
      .map((t) => `${relative(root, file)} -> ${t}`),
  );
  assert.deepEqual(escaping, []);
});

it('keeps base folders free of feature imports, and features free of composition-root imports', () => {
  const violations = boundaryViolations();
  assert.deepEqual(
    violations.filter((edge) => !ALLOWED_EDGES.has(edge)),
    [],
    'new import boundary violations',
  );
  assert.deepEqual(
    [...ALLOWED_EDGES].filter((edge) => !violations.includes(edge)),
    [],
    'fixed: remove from ALLOWED_EDGES',
  );
});

it('has no import cycle in src/', () => {
  const found = cycles();
  assert.deepEqual(
    found.filter((c) => !ALLOWED_CYCLES.has(c)),
    [],
    'new import cycles',
  );
  assert.deepEqual(
    [...ALLOWED_CYCLES].filter((c) => !found.includes(c)),
    [],
    'fixed: remove from ALLOWED_CYCLES',
  );
});
