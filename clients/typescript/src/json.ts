// JSON in and out with exact 64-bit integers where the API has them: every `*_micro` field
// (amounts in micro-credits reach 10^18, past Number.MAX_SAFE_INTEGER) is read as a bigint.
// JSON.parse alone would round them, so the text is first rewritten: the number after a
// `"..._micro":` key, outside any string, is quoted, and the reviver turns it into a bigint.

function quoteMicroNumbers(text: string): string {
  let out = '';
  let i = 0;
  let lastKeyMicro = false;  // the last string closed was a key ending in _micro
  let copied = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const start = i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      let j = i;
      while (j < text.length && /\s/.test(text[j])) j++;
      lastKeyMicro = text[j] === ':' && text.slice(start + 1, i - 1).endsWith('_micro');
      continue;
    }
    if (lastKeyMicro && (c === '-' || (c >= '0' && c <= '9'))) {
      let j = i + 1;
      while (j < text.length && /[0-9]/.test(text[j])) j++;
      if (!/[.eE]/.test(text[j] ?? '')) {
        out += text.slice(copied, i) + '"' + text.slice(i, j) + '"';
        copied = j;
      }
      i = j;
      lastKeyMicro = false;
      continue;
    }
    if (c !== ':' && !/\s/.test(c)) lastKeyMicro = false;
    i++;
  }
  return out + text.slice(copied);
}

/** Parses a reply body: `*_micro` integers become bigints, everything else as JSON.parse. */
export function parseJson(text: string): unknown {
  return JSON.parse(quoteMicroNumbers(text), (key, value) =>
    key.endsWith('_micro') && typeof value === 'string' && /^-?[0-9]+$/.test(value)
      ? BigInt(value)
      : value);
}

/** Writes a request body; a bigint (a parameter value) is written as a JSON integer. */
export function stringifyJson(value: unknown): string {
  const marker = '\u0000bigint:';
  const text = JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? marker + v.toString() : v));
  return text.replace(/"\\u0000bigint:(-?[0-9]+)"/g, '$1');
}
