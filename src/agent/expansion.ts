/**
 * `$(VAR)` expansion in env values, command and args, with upstream's rules
 * (third_party/forked/golang/expansion): `$(NAME)` is replaced when NAME is known and
 * left as written otherwise; `$$` is an escaped `$`; a `$` followed by anything else, an
 * unclosed `$(` and a trailing `$` are kept literally. Only one pass: the result of a
 * replacement is never expanded again.
 */

/** Looks NAME up in each map in turn; unknown names stay as `$(NAME)`. */
export function mappingFuncFor(...contexts: (Map<string, string> | Record<string, string>)[]): (name: string) => string {
  return (name) => {
    for (const c of contexts) {
      const v = c instanceof Map ? c.get(name) : Object.prototype.hasOwnProperty.call(c, name) ? c[name] : undefined;
      if (v !== undefined) return v;
    }
    return `$(${name})`;
  };
}

export function expand(input: string, mapping: (name: string) => string): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    let advance = 1;
    if (next === '$') out += '$';
    else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close >= 0) {
        out += mapping(input.slice(cursor + 2, close));
        advance = close - cursor;
      } else out += '$('; // incomplete reference: kept as written
    } else out += '$' + next;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}
