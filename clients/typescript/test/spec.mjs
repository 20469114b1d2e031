// Test support: docs/openapi.yaml read with Debian's js-yaml, and a check that a real reply
// has exactly the fields its operation's schema allows (none missing that it requires, none it
// does not name), so the spec, and through spec_coverage_test the client, stay true to the
// server.
import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';

export function loadSpec(specPath, share = '/usr/share/nodejs') {
  const yaml = createRequire(import.meta.url)(path.join(share, 'js-yaml'));
  const spec = yaml.load(fs.readFileSync(specPath, 'utf8'));

  const deref = (node) => {
    let n = node;
    for (let i = 0; n && n.$ref && i < 16; ++i) {
      n = n.$ref.replace(/^#\//, '').split('/').reduce((o, k) => o?.[k], spec);
    }
    return n;
  };

  const operations = [];
  for (const [p, item] of Object.entries(spec.paths)) {
    const re = new RegExp('^' + p.replace(/\{\w+\}/g, '[^/]+') + '$');
    for (const m of ['get', 'post', 'put', 'patch', 'delete']) {
      if (item[m]) operations.push({method: m.toUpperCase(), path: p, re, op: item[m]});
    }
  }

  /** The operation a request hit, by method and URL path. */
  const operationOf = (method, urlPath) =>
    operations.find((o) => o.method === method && o.re.test(urlPath));

  // Problems with `value` against `schema`, as "where: what" lines. For oneOf/anyOf, the
  // alternative with the fewest problems counts.
  function check(schema, value, where) {
    const s = deref(schema);
    if (!s || value === undefined) return [];
    if (s.allOf) {
      // A field one part names is allowed by the others (the parts describe one object).
      const names = new Set(s.allOf.flatMap((x) => Object.keys(deref(x).properties ?? {})));
      return s.allOf.flatMap((x) => check({...deref(x), 'x-also': names}, value, where));
    }
    for (const alt of ['oneOf', 'anyOf']) {
      if (s[alt]) {
        const tries = s[alt].map((x) => check(x, value, where));
        return tries.reduce((a, b) => (b.length < a.length ? b : a));
      }
    }
    if (value === null) return s.nullable || s.enum?.includes(null) ? [] : [`${where}: null, not nullable`];
    if (Array.isArray(value)) {
      if (s.type && s.type !== 'array') return [`${where}: an array, spec says ${s.type}`];
      return value.flatMap((v, i) => check(s.items, v, `${where}[${i}]`));
    }
    if (typeof value === 'object') {
      if (s.type && s.type !== 'object') return [`${where}: an object, spec says ${s.type}`];
      const out = [];
      const props = s.properties ?? {};
      for (const r of s.required ?? []) if (!(r in value)) out.push(`${where}.${r}: missing`);
      for (const [k, v] of Object.entries(value)) {
        if (props[k]) out.push(...check(props[k], v, `${where}.${k}`));
        else if (s.additionalProperties && typeof s.additionalProperties === 'object') out.push(...check(s.additionalProperties, v, `${where}.${k}`));
        else if (!s.additionalProperties && !s['x-also']?.has(k)) out.push(`${where}.${k}: not in the spec`);
      }
      return out;
    }
    const type = typeof value === 'bigint' ? 'integer' : typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value;
    if (s.type && s.type !== type && !(s.type === 'number' && type === 'integer')) return [`${where}: ${type}, spec says ${s.type}`];
    if (s.enum && !s.enum.includes(value)) return [`${where}: ${value} not in ${s.enum}`];
    if (s.pattern && typeof value === 'string' && !new RegExp(s.pattern).test(value)) return [`${where}: ${value} does not match ${s.pattern}`];
    return [];
  }

  /** Problems of one reply (status and parsed body) to `method urlPath`. */
  function checkReply(method, urlPath, status, body) {
    const o = operationOf(method, urlPath);
    if (!o) return [`${method} ${urlPath}: no such operation in the spec`];
    const resp = deref(o.op.responses[String(status)]);
    const where = `${o.op.operationId} ${status}`;
    if (!resp) return [`${where}: status not documented`];
    const content = resp.content ?? {};
    // A text answer of an operation that also answers JSON (format=csv) is checked as its text.
    const text = typeof body === 'string' ? content['text/csv'] : undefined;
    const media = text ?? content['application/json'] ?? content['application/problem+json'] ?? content['text/plain'];
    if (!media) return [];
    return check(media.schema, body, where);
  }

  return {spec, deref, operations, operationOf, checkReply};
}
