// Keeps the TypeScript client complete against docs/openapi.yaml: fails when the spec has an
// operation (method and path) the client does not send, a problem type without an error
// class, or a field (request, query or reply, at any depth) its TypeScript types lack, or an
// amount its types carry as a JS number. Run by ctest (CMakeLists.txt beside this folder):
//
//   node spec_coverage_test.mjs --spec docs/openapi.yaml --src <client src> --dist <tsc output>
//                               --node-share /usr/share/nodejs
//
// The spec is read with js-yaml and the client's types with the TypeScript compiler API, both
// Debian packages (node-js-yaml, node-typescript) found under --node-share.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';
import {pathToFileURL} from 'node:url';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) =>
  (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const share = args['node-share'] ?? '/usr/share/nodejs';
const require = createRequire(import.meta.url);
const yaml = require(path.join(share, 'js-yaml'));
const ts = require(path.join(share, 'typescript'));

const spec = yaml.load(fs.readFileSync(args.spec, 'utf8'));
const {ROUTES, TallyClient} = await import(pathToFileURL(path.join(args.dist, 'client.js')));
const {PROBLEM_CLASSES} = await import(pathToFileURL(path.join(args.dist, 'errors.js')));

const METHODS = ['get', 'post', 'put', 'delete', 'patch'];

function deref(node) {
  let n = node;
  for (let i = 0; n && n.$ref && i < 16; ++i) {
    const parts = n.$ref.replace(/^#\//, '').split('/');
    n = parts.reduce((o, k) => o?.[k], spec);
    assert.ok(n, `unresolved $ref ${node.$ref}`);
  }
  return n;
}

// The properties a schema allows (allOf, oneOf and anyOf merged), its map values and items.
function shape(schema) {
  const s = deref(schema) ?? {};
  const out = {props: new Map(), additional: undefined, items: undefined, schema: s};
  for (const part of [...(s.allOf ?? []), ...(s.oneOf ?? []), ...(s.anyOf ?? [])]) {
    const sub = shape(part);
    for (const [k, v] of sub.props) out.props.set(k, v);
    out.additional ??= sub.additional;
    out.items ??= sub.items;
  }
  for (const [k, v] of Object.entries(s.properties ?? {})) out.props.set(k, v);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') {
    out.additional = s.additionalProperties;
  }
  if (s.items) out.items = s.items;
  return out;
}

const operations = [];
for (const [p, item] of Object.entries(spec.paths)) {
  for (const m of METHODS) {
    if (item[m]) operations.push({method: m.toUpperCase(), path: p, op: item[m]});
  }
}

test('the spec was read', () => {
  assert.ok(operations.length >= 30, `only ${operations.length} operations in ${args.spec}`);
});

test('every operation of the spec is a client method sending that method and path', () => {
  const missing = [];
  for (const {method, path: p, op} of operations) {
    const id = op.operationId;
    const r = ROUTES[id];
    if (!r) missing.push(`${method} ${p} (${id}): not in ROUTES`);
    else if (r.method !== method || r.path !== p) missing.push(`${id}: client sends ${r.method} ${r.path}, spec says ${method} ${p}`);
    if (typeof TallyClient.prototype[id] !== 'function') missing.push(`${method} ${p}: no TallyClient.${id}()`);
    const params = (op.parameters ?? []).map((x) => x.$ref ?? '');
    const want = params.some((x) => x.endsWith('/IdempotencyKey')) ? 'required'
      : params.some((x) => x.endsWith('/IdempotencyKeyOptional')) ? 'optional' : 'none';
    if (r && r.key !== want) missing.push(`${id}: Idempotency-Key ${r.key}, spec says ${want}`);
  }
  assert.deepEqual(missing, []);
});

test('the client sends no operation the spec lacks', () => {
  const known = new Set(operations.map((o) => o.op.operationId));
  assert.deepEqual(Object.keys(ROUTES).filter((id) => !known.has(id)), []);
});

test('every problem type of the spec has an error class', () => {
  const types = deref(spec.components.schemas.Problem).properties.type.enum;
  assert.deepEqual(types.filter((t) => typeof PROBLEM_CLASSES[t] !== 'function'), []);
});

// --- fields, through the TypeScript checker ---------------------------------------------------

const program = ts.createProgram([path.join(args.src, 'index.ts')], {
  target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.ES2020, strict: true,
  moduleResolution: ts.ModuleResolutionKind.NodeJs, lib: ['lib.es2020.d.ts', 'lib.dom.d.ts'],
  types: [], noEmit: true,
});
const checker = program.getTypeChecker();
const clientFile = program.getSourceFile(path.join(args.src, 'client.ts'));
let clientClass;
ts.forEachChild(clientFile, (n) => {
  if (ts.isClassDeclaration(n) && n.name?.text === 'TallyClient') clientClass = n;
});
const instance = checker.getTypeAtLocation(clientClass);

// A type without null and undefined, as the list of its union members.
function members(type) {
  const list = type.isUnion() ? type.types : [type];
  return list.filter((t) => !(t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Never)));
}

function propertyOf(type, name) {
  // Of a union (Spend | IncludedJob), the union of the members' property types.
  const found = members(type).map((t) => checker.getPropertyOfType(t, name)).filter(Boolean)
    .map((p) => checker.getTypeOfSymbolAtLocation(p, clientClass));
  if (found.length === 1) return found[0];
  if (found.length > 1) return checker.getUnionType ? checker.getUnionType(found) : found[0];
  for (const t of members(type)) {
    const index = checker.getIndexTypeOfType(t, ts.IndexKind.String);
    if (index && !(index.flags & ts.TypeFlags.Unknown)) return index;
  }
  return undefined;
}

function elementOf(type) {
  for (const t of members(type)) {
    if (t.symbol?.name !== 'Array') continue;
    const el = checker.getTypeArguments(t)[0];
    if (!(el.flags & ts.TypeFlags.Never)) return el;
  }
  return undefined;
}

function valuesOf(type) {
  for (const t of members(type)) {
    const index = checker.getIndexTypeOfType(t, ts.IndexKind.String);
    if (index) return index;
    const props = checker.getPropertiesOfType(t);
    if (props.length) return checker.getTypeOfSymbolAtLocation(props[0], clientClass);
  }
  return undefined;
}

const isMicro = (s) => (deref(s)?.format === 'int64') && deref(s)?.type === 'integer';

// Every property the spec schema names exists in the TypeScript type, at every depth.
function covers(schema, type, where, problems, depth = 0) {
  if (depth > 12) return;
  const sh = shape(schema);
  if (sh.items) {
    const el = elementOf(type);
    if (!el) problems.push(`${where}: an array in the spec, not in the client`);
    else covers(sh.items, el, `${where}[]`, problems, depth + 1);
  }
  if (sh.additional) {
    const v = valuesOf(type);
    if (v) covers(sh.additional, v, `${where}{}`, problems, depth + 1);
  }
  for (const [name, sub] of sh.props) {
    const pt = propertyOf(type, name);
    if (!pt) {
      problems.push(`${where}.${name}`);
      continue;
    }
    if (name.endsWith('_micro') && isMicro(sub) &&
        !members(pt).every((t) => t.flags & ts.TypeFlags.BigIntLike)) {
      problems.push(`${where}.${name}: an amount in micro-credits must be a bigint, is ${checker.typeToString(pt)}`);
    }
    covers(sub, pt, `${where}.${name}`, problems, depth + 1);
  }
}

function method(id) {
  const sym = checker.getPropertyOfType(instance, id);
  if (!sym) return undefined;
  return checker.getSignaturesOfType(checker.getTypeOfSymbolAtLocation(sym, clientClass), ts.SignatureKind.Call)[0];
}

function param(sig, name) {
  const p = sig.getParameters().find((s) => s.name === name);
  return p && checker.getTypeOfSymbolAtLocation(p, clientClass);
}

test('every reply field of the spec is in the client\'s types', () => {
  const problems = [];
  for (const {op} of operations) {
    const sig = method(op.operationId);
    if (!sig) continue;  // reported above
    let result = sig.getReturnType();
    if (result.symbol?.name === 'Promise') result = checker.getTypeArguments(result)[0];
    for (const [status, resp] of Object.entries(op.responses)) {
      if (!status.startsWith('2')) continue;
      const schema = deref(resp).content?.['application/json']?.schema;
      if (schema) covers(schema, result, `${op.operationId} ${status}`, problems);
    }
  }
  assert.deepEqual(problems, []);
});

test('every request field and query parameter of the spec is in the client\'s types', () => {
  const problems = [];
  for (const {op} of operations) {
    const sig = method(op.operationId);
    if (!sig) continue;
    const schema = op.requestBody && deref(op.requestBody).content?.['application/json']?.schema;
    if (schema && shape(schema).props.size) {
      const body = param(sig, 'body');
      if (!body) problems.push(`${op.operationId}: no body parameter`);
      else covers(schema, body, `${op.operationId} body`, problems);
    }
    for (const p of (op.parameters ?? []).map(deref).filter((x) => x.in === 'query')) {
      const query = param(sig, 'query');
      if (!query || !propertyOf(query, p.name)) problems.push(`${op.operationId} query ${p.name}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the coverage check itself fails on a field the client lacks', () => {
  const problems = [];
  const sig = method('getAccount');
  const account = checker.getTypeArguments(sig.getReturnType())[0];
  covers({type: 'object', properties: {no_such_field: {type: 'string'}}}, account, 'probe', problems);
  assert.deepEqual(problems, ['probe.no_such_field']);
});
