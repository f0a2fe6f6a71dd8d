import type { ErrorObject } from 'ajv';

/** One problem of the gateway file: where (`routes[2].path`) and what, before the file name is added. */
export interface FileProblem {
  readonly path: string;
  readonly message: string;
  /** Problems of settings that must agree come after those of the settings themselves. */
  readonly last?: boolean;
}

type Node = Record<string, unknown>;
const SECRET_LIKE = /secret|password|token|key$|credential/i;

/**
 * Turns Ajv's errors (validated with `verbose`) into our problems: the schema's own `errorMessage`
 * where it has one, and for a union (`anyOf`) the errors of the branch whose type the value has, or
 * else the union's message — never one line per branch.
 */
export function problemsOfErrors(errors: readonly ErrorObject[]): FileProblem[] {
  const dropped = new Set<ErrorObject>();
  const unions = errors
    .filter((e) => e.keyword === 'anyOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const union of unions) {
    if (dropped.has(union)) continue;
    const inside = errors.filter((e) => !dropped.has(e) && e.schemaPath.startsWith(`${union.schemaPath}/`));
    const branchOf = (e: ErrorObject) => e.schemaPath.slice(union.schemaPath.length + 1).split('/')[0];
    const mistyped = new Set(
      inside
        .filter(
          (e) =>
            e.keyword === 'type' &&
            e.instancePath === union.instancePath &&
            e.schemaPath === `${union.schemaPath}/${branchOf(e)}/type`,
        )
        .map(branchOf),
    );
    const matched = inside.filter((e) => !mistyped.has(branchOf(e)));
    const telling = matched.filter(
      (e) =>
        e.instancePath !== union.instancePath ||
        ownMessage(e) !== undefined ||
        e.keyword === 'required' ||
        e.keyword === 'additionalProperties',
    );
    for (const e of inside) dropped.add(e);
    if (telling.length > 0) {
      dropped.add(union);
      const branch = branchOf(telling[0] as ErrorObject);
      for (const e of telling) if (branchOf(e) === branch) dropped.delete(e);
    }
  }
  const problems: FileProblem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (dropped.has(error)) continue;
    const problem = problemOf(error);
    const key = `${problem.path} ${problem.message}`;
    if (!seen.has(key)) problems.push(problem);
    seen.add(key);
  }
  return problems;
}

function problemOf(error: ErrorObject): FileProblem {
  const at = placeOf(error.instancePath);
  const schema = (error.parentSchema ?? {}) as Node;
  if (error.keyword === 'additionalProperties') {
    const key = String(error.params.additionalProperty);
    const allowed = Object.keys((schema.properties ?? {}) as Node)
      .filter((name) => name !== '$schema')
      .join(', ');
    const hint = SECRET_LIKE.test(key)
      ? ' (secrets never go in this file; use environment variables)'
      : ` (allowed: ${allowed})`;
    return { path: join(at, key), message: `is not a known setting${hint}` };
  }
  if (error.keyword === 'required') {
    const key = String(error.params.missingProperty);
    const property = ((schema.properties ?? {}) as Record<string, Node>)[key];
    return { path: join(at, key), message: String(property?.requiredMessage ?? 'is required') };
  }
  const message = ownMessage(error) ?? genericMessage(error, schema);
  return { path: at, message: message.replace('{value}', JSON.stringify(error.data) ?? String(error.data)) };
}

function ownMessage(error: ErrorObject): string | undefined {
  const own = (error.parentSchema as Node | undefined)?.errorMessage;
  if (typeof own === 'string') return own;
  if (typeof own === 'object' && own !== null) {
    const forKeyword = (own as Record<string, unknown>)[error.keyword];
    if (typeof forKeyword === 'string') return forKeyword;
  }
  return undefined;
}

function genericMessage(error: ErrorObject, schema: Node): string {
  const ranged = typeof schema.minimum === 'number' && typeof schema.maximum === 'number';
  if (error.keyword === 'type') {
    const type = String(error.params.type);
    if (type === 'object') return 'must be an object';
    if (type === 'array') return 'must be a list';
    if (type === 'boolean') return 'must be true or false';
    if (type === 'string') return 'must be a string';
  }
  if (ranged && (error.keyword === 'type' || error.keyword === 'minimum' || error.keyword === 'maximum'))
    return `must be an ${schema.type === 'integer' ? 'integer' : 'number'} from ${schema.minimum} to ${schema.maximum}`;
  return error.message ?? 'is not valid';
}

/** `/routes/2/path` → `routes[2].path`. */
function placeOf(pointer: string): string {
  let place = '';
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    place = /^\d+$/.test(segment) ? `${place}[${segment}]` : join(place, segment);
  }
  return place;
}

function join(place: string, key: string): string {
  return place === '' ? key : `${place}.${key}`;
}

/**
 * Sorts problems in the order of the file's settings as the schema lists them (unknown keys first in
 * their object, list items by index), so one start reads them top to bottom. The sort is stable.
 */
export function sortProblems(
  problems: readonly FileProblem[],
  root: unknown,
  sectionOrder: readonly string[],
): FileProblem[] {
  const keyed = problems.map((problem) => ({ problem, key: orderKey(problem, root as Node, sectionOrder) }));
  keyed.sort((a, b) => compareKeys(a.key, b.key));
  return keyed.map((k) => k.problem);
}

function orderKey(problem: FileProblem, root: Node, sectionOrder: readonly string[]): number[] {
  const key: number[] = [];
  let node: Node | undefined = root;
  const segments = problem.path.match(/[^.[\]]+/g) ?? [];
  for (const [index, segment] of segments.entries()) {
    if (problem.last && index === 1) break;
    if (/^\d+$/.test(segment)) {
      key.push(Number(segment));
      node = withKey(node, 'items')?.items as Node | undefined;
    } else {
      const properties = withKey(node, 'properties')?.properties as Record<string, Node> | undefined;
      const order = index === 0 ? sectionOrder : Object.keys(properties ?? {});
      key.push(order.indexOf(segment));
      node = properties?.[segment];
    }
  }
  if (problem.last) key.push(Number.POSITIVE_INFINITY);
  return key;
}

function withKey(node: Node | undefined, name: string): Node | undefined {
  if (node === undefined || name in node) return node;
  return (node.anyOf as Node[] | undefined)?.find((branch) => name in branch);
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const difference = (a[i] as number) - (b[i] as number);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}
