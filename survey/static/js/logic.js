/* Tanfang form logic in the browser: the expression interpreter and the form-state engine.
 *
 * It reads what the server publishes (GET /api/v1/forms/{id}: `logic`, from Compiled.logic_json(),
 * and `definition`, the form as JSON) and gives the answers Python would: the same rules as
 * forms/evaluate.py, forms/functions.py and forms/validation.py, written out in docs/expressions.md.
 * tests/client/test_parity.py runs a shared corpus through both and requires identical results.
 * Plain JavaScript, no build step: `globalThis.TanfangLogic` in a page, `require()` in node.
 *
 *   const logic = TanfangLogic.form(detail.logic, detail.definition);   // compile once
 *   const state = logic.check(answers, {today: "2024-06-01"});          // on every input
 *
 * `answers` is what the sync API takes: {age: 67, needs: ["care"], household: [{m_age: 3}]}.
 * `state` is {relevant, errors, dropped, values, choices, answers}, keyed by validation's paths
 * (`age`, `household[2].m_age`): `relevant[path]` for every question, group and repeat visited;
 * `errors` as validate() lists them, [{path, code, params}] ("required", "constraint", "filtered",
 * "minimum", "integer"...; the page words them); `dropped`, answers that are no longer relevant;
 * `values[path]`, each calculation; `choices[path]`, the options a choice filter allows;
 * `answers`, the cleaned answers the server would keep. A whole check is one pass over the form
 * with every expression compiled once to closures: well under a millisecond for 300 questions,
 * so there is no dependency tracking to get wrong.
 *
 * `evaluate(ast, env)` runs one expression; env has ref(name), current(), field(name),
 * position(), indexed(name, repeat, i) and today() -> "YYYY-MM-DD". Values: string, number,
 * boolean, or an array (a nodeset: a repeated question seen from outside its repeat).
 * `EvaluationError` (message, position) is thrown only for calls that cannot run: unknown
 * function, wrong arity, position() without .., indexed-repeat() without references, bad regex.
 *
 * Supported: every function of docs/expressions.md. Known limits, all outside what the docs ask
 * form authors to write: regex() translates Python's `re` syntax (ASCII classes, `$`, `.`,
 * `{,n}`, `(?P<name>...)`, escapes) to a JavaScript /u pattern; inline flags, `\N{...}`,
 * possessive quantifiers and atomic groups throw EvaluationError where Python runs them, and a
 * variable-width look-behind runs where Python refuses it. pow() is exact for whole exponents up
 * to 1100; other exponents use Math.pow, which may differ from the server in the last binary digit.
 */
(function (root) {
  'use strict';

  // ---------------------------------------------------------------------------- values
  // Python's whitespace (str.isspace), for strip() and split(): not JavaScript's \s.
  const WS = '\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
  const TRIM = new RegExp(`^[${WS}]+|[${WS}]+$`, 'g');
  const SPACES = new RegExp(`[${WS}]+`);
  const strip = (s) => s.replace(TRIM, '');
  const tokens = (s) => s.split(SPACES).filter(Boolean);
  const has = (o, k) => o != null && Object.prototype.hasOwnProperty.call(o, k);
  const items = (v) => (Array.isArray(v) ? v : [v]);
  const dict = () => Object.create(null); // no inherited keys: a question may be called constructor

  const DECIMAL = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
  const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([^\n]+))?$/;
  const TIME = /^([0-9]{2}):([0-9]{2})(?::([0-9]{2}(?:\.[0-9]+)?))?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?$/;

  /** Days since 1970-01-01 of a valid proleptic Gregorian date, else NaN. */
  function days(y, m, d) {
    const t = new Date(0);
    t.setUTCFullYear(y, m - 1, d);
    return y >= 1 && t.getUTCMonth() === m - 1 && t.getUTCDate() === d ? t.getTime() / 864e5 : NaN;
  }

  function dayFraction(m) {
    const h = +m[1], min = +m[2], s = +(m[3] || 0);
    return h > 23 || min > 59 || s >= 60 ? NaN : (h * 3600 + min * 60 + s) / 86400;
  }

  /** XPath number(): "" and text are NaN, ISO dates are days since 1970, times fractions of a day. */
  function toNumber(v) {
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (Array.isArray(v)) return v.length ? toNumber(v[0]) : NaN;
    const s = strip(v);
    if (DECIMAL.test(s)) return Number(s);
    let m = DATE.exec(s);
    if (m) {
      const d = days(+m[1], +m[2], +m[3]);
      if (m[4] === undefined) return d;
      const t = TIME.exec(m[4]);
      return t ? d + dayFraction(t) : NaN;
    }
    m = TIME.exec(s);
    return m ? dayFraction(m) : NaN;
  }

  /** A finite number's shortest round-trip digits, as Python's repr: {sign, digits, point}. */
  function decompose(n) {
    const s = String(Math.abs(n)), e = s.indexOf('e');
    const mant = e < 0 ? s : s.slice(0, e), dot = mant.indexOf('.');
    let digits = mant.replace('.', ''), point = (dot < 0 ? mant.length : dot) + (e < 0 ? 0 : +s.slice(e + 1));
    const lead = digits.length - digits.replace(/^0+/, '').length;
    digits = digits.slice(lead) || '0';
    point -= lead;
    return { sign: n < 0 || Object.is(n, -0) ? '-' : '', digits, point };
  }

  /** XPath string() of a number: no ".0", no exponent, NaN and Infinity by name. */
  function formatNumber(n) {
    if (n !== n) return 'NaN';
    if (!isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
    if (n === 0) return '0';
    const { sign, digits, point } = decompose(n);
    if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
    if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
    return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  }

  /** XPath string(): a nodeset is its first item. */
  function toString(v) {
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return formatNumber(v);
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    return v.length ? toString(v[0]) : '';
  }

  /** XPath boolean(): a number is true unless 0 or NaN; a string or nodeset unless empty. */
  function toBool(v) {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v === v && v !== 0;
    return v.length > 0;
  }

  /** A value as a stored answer (calculation, default): NaN is stored as "", as ODK does. */
  const toAnswer = (v) => (typeof v === 'number' && v !== v ? '' : toString(v));

  /** An index argument: truncated and clamped, or null for NaN ("" or text). */
  function index(v) {
    const n = toNumber(v);
    return n !== n ? null : Math.trunc(Math.max(-2147483648, Math.min(2147483648, n)));
  }

  // --------------------------------------------------------------------------- operators
  function equal(a, b) {
    if (typeof a === 'boolean' || typeof b === 'boolean') return toBool(a) === toBool(b);
    if (typeof a === 'string' && typeof b === 'string') return a === b;
    return toNumber(a) === toNumber(b);
  }

  /** A comparison over nodesets is true when any pair of items compares true (XPath). */
  const nodesets = (test) => (a, b) => {
    if (!Array.isArray(a) && !Array.isArray(b)) return test(a, b);
    if (typeof a === 'boolean') b = toBool(b);
    else if (typeof b === 'boolean') a = toBool(a);
    for (const x of items(a)) for (const y of items(b)) if (test(x, y)) return true;
    return false;
  };

  const COMPARE = {
    '=': nodesets(equal),
    '!=': nodesets((a, b) => !equal(a, b)),
    '<': nodesets((a, b) => toNumber(a) < toNumber(b)),
    '<=': nodesets((a, b) => toNumber(a) <= toNumber(b)),
    '>': nodesets((a, b) => toNumber(a) > toNumber(b)),
    '>=': nodesets((a, b) => toNumber(a) >= toNumber(b)),
  };
  // IEEE, as Python's: x div 0 is ±Infinity or NaN; % is C's fmod (the sign of the dividend).
  const ARITHMETIC = {
    '+': (a, b) => a + b, '-': (a, b) => a - b, '*': (a, b) => a * b,
    div: (a, b) => a / b, mod: (a, b) => a % b,
  };

  // --------------------------------------------------------------------------- functions
  class EvaluationError extends Error {
    constructor(message, position = 0) {
      super(message);
      this.name = 'EvaluationError';
      this.position = position;
    }
  }

  /** Python `re` (with re.ASCII) to a JavaScript /u pattern with the same meaning. */
  function translate(p) {
    let out = '', i = 0, cls = false;
    const bad = () => { throw new SyntaxError(`cannot translate ${JSON.stringify(p)}`); };
    while (i < p.length) {
      const c = p[i++];
      if (c === '\\') {
        const e = p[i++] ?? bad(), hex = (k) => (/^[0-9a-fA-F]+$/.test(p.substr(i, k)) && p.length >= i + k ? p.substr(i, k) : bad());
        if ('dDwWbBfnrtv'.includes(e) || /[1-9]/.test(e)) out += cls && /[1-9B]/.test(e) ? bad() : '\\' + e;
        else if (e === 's') out += cls ? '\\t-\\r ' : '[\\t-\\r ]';
        else if (e === 'S') out += cls ? '\\0-\\x08\\x0e-\\x1f!-\\u{10ffff}' : '[^\\t-\\r ]';
        else if (e === 'A' || e === 'Z') out += cls ? bad() : e === 'A' ? '^' : '$';
        else if (e === 'a') out += '\\x07';
        else if (e === '0') { const o = /^[0-7]{0,2}/.exec(p.slice(i))[0]; i += o.length; out += `\\u{${parseInt('0' + o, 8).toString(16)}}`; }
        else if (e === 'x' || e === 'u') { out += `\\u{${hex(e === 'x' ? 2 : 4)}}`; i += e === 'x' ? 2 : 4; }
        else if (e === 'U') { out += `\\u{${hex(8)}}`; i += 8; }
        else if (/[A-Za-z0-9]/.test(e)) bad(); // an unknown escape: an error in Python too
        else { const cp = p.codePointAt(i - 1); i += cp > 0xffff ? 1 : 0; out += `\\u{${cp.toString(16)}}`; }
      } else if (cls) {
        if (c === ']') cls = false;
        out += c === '[' ? '\\[' : c;
      } else if (c === '[') {
        cls = true;
        out += c;
        if (p[i] === '^') out += p[i++];
        if (p[i] === ']') { out += '\\]'; i++; } // a leading ] is a literal in Python
      } else if (c === '.') out += '[^\\n]'; // Python's . stops only at \n
      else if (c === '$') out += '(?=\\n?$)'; // Python's $ also matches before a final \n
      else if (c === '{') {
        const q = /^(\d*)(,(\d*))?\}/.exec(p.slice(i));
        if (q && p[i] !== '}') { out += q[2] ? `{${q[1] || 0},${q[3]}}` : `{${q[1]}}`; i += q[0].length; }
        else out += '\\{';
      } else if (c === '}' || c === ']') out += '\\' + c;
      else if (c === '(' && p[i] === '?') {
        const g = /^\?(?:P<(\w+)>|P=(\w+)\)|#[^)]*\)|[:=!]|<[=!])/.exec(p.slice(i)) || bad();
        i += g[0].length;
        out += g[1] ? `(?<${g[1]}>` : g[2] ? `\\k<${g[2]}>` : g[0][1] === '#' ? '' : '(' + g[0];
      } else out += c;
    }
    return cls ? bad() : out;
  }

  const REGEXES = new Map();
  function regex(text, pattern) {
    const p = toString(pattern);
    let re = REGEXES.get(p);
    if (re === undefined) {
      try { re = new RegExp(translate(p), 'u'); } catch (e) { re = null; }
      if (REGEXES.size > 256) REGEXES.clear();
      REGEXES.set(p, re);
    }
    if (re === null) throw new EvaluationError(`invalid regular expression ${JSON.stringify(p)}`);
    return re.test(toString(text));
  }

  /** round(x, digits): the number as printed, rounded half away from zero (Python's Decimal). */
  function round(x, d = 0) {
    const n = toNumber(x), p = toNumber(d);
    if (!isFinite(n) || p !== p) return p === p ? n : NaN;
    const places = Math.trunc(Math.max(-400, Math.min(400, p)));
    const { sign, digits, point } = decompose(n), keep = point + places;
    if (keep >= digits.length) return n;
    if (keep < 0) return Number(sign + '0');
    let kept = BigInt(digits.slice(0, keep) || '0');
    if (digits[keep] >= '5') kept += 1n;
    return Number(`${sign}${kept}e${-places}`);
  }

  /** x as mantissa * 2 ** exponent, exactly (a finite nonzero double). */
  function binary(x) {
    const v = new DataView(new ArrayBuffer(8));
    v.setFloat64(0, Math.abs(x));
    const hi = v.getUint32(0), e = hi >>> 20;
    const m = (BigInt(hi & 0xfffff) << 32n) | BigInt(v.getUint32(4));
    return e ? [m | (1n << 52n), e - 1075] : [m, -1074];
  }

  /** pow(x, y) as C's pow, which the server uses: exact for whole exponents, as Python's. */
  function pow(base, exponent) {
    const x = toNumber(base), y = toNumber(exponent);
    if (y !== y || x !== x) return y === 0 || x === 1 ? 1 : NaN;
    if (!isFinite(y) && Math.abs(x) === 1) return 1;
    if (x === 0 && y < 0) return Infinity;
    if (y === 0.5 && x > 0 && isFinite(x)) return Math.sqrt(x);
    if (!Number.isInteger(y) || !isFinite(x) || x === 0 || Math.abs(y) > 1100 || y === 0) return Math.pow(x, y);
    // the exact power as a fraction num/den, printed to 800 significant digits plus a sticky
    // digit, which Number() then rounds exactly as a correctly rounded pow would
    const [m, e] = binary(x), k = BigInt(Math.abs(y));
    let num = m ** k, den = 1n, twos = BigInt(e) * k;
    if (y < 0) [num, den, twos] = [den, num, -twos];
    if (twos >= 0n) num <<= twos; else den <<= -twos;
    const shift = 800 - (num.toString().length - den.toString().length);
    const scaled = shift >= 0 ? num * 10n ** BigInt(shift) : num, div = shift >= 0 ? den : den * 10n ** BigInt(-shift);
    const q = scaled / div, sticky = scaled % div ? '1' : '';
    return Number(`${x < 0 && k % 2n ? '-' : ''}${q}${sticky}e${-shift - sticky.length}`);
  }

  /** Random bytes from the platform's CSPRNG (browsers, and node 19+). */
  const random = (n) => root.crypto.getRandomValues(new Uint8Array(n));
  const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  function uuid(length) {
    const size = length === undefined ? null : index(length);
    if (size === null) {
      const b = random(16);
      b[6] = (b[6] & 0x0f) | 0x40;
      b[8] = (b[8] & 0x3f) | 0x80;
      const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    let out = '';
    const want = Math.max(0, Math.min(size, 1000));
    while (out.length < want) for (const x of random(64)) if (x < 248 && out.length < want) out += ALPHANUMERIC[x % 62];
    return out;
  }

  function now() {
    const d = new Date(), off = -d.getTimezoneOffset(), p = (n, w = 2) => String(Math.abs(n)).padStart(w, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:` +
      `${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}${off < 0 ? '-' : '+'}${p(Math.trunc(off / 60))}:${p(off % 60)}`;
  }

  const finite = (f) => (v) => { const n = toNumber(v); return isFinite(n) ? f(n) + 0 : n; }; // + 0: never -0, as Python's int
  function numbers(values) {
    const out = [];
    for (const v of values) for (const x of items(v)) if (x !== '') out.push(toNumber(x));
    return out;
  }
  const extreme = (better) => (...values) => {
    const ns = numbers(values);
    if (!ns.length || ns.some((n) => n !== n)) return NaN;
    return ns.reduce((best, n) => (better(n, best) ? n : best));
  };
  const chars = (v) => Array.from(toString(v)); // code points, as Python counts

  /** Functions of their arguments' values: name -> [fewest, most (null: any), function]. */
  const EAGER = {
    selected: [2, 2, (a, c) => tokens(toString(a)).includes(strip(toString(c)))],
    'count-selected': [1, 1, (a) => tokens(toString(a)).length],
    'selected-at': [2, 2, (a, i) => { const t = tokens(toString(a)), at = index(i); return at !== null && at >= 0 && at < t.length ? t[at] : ''; }],
    'string-length': [1, 1, (v) => chars(v).length],
    regex: [2, 2, regex],
    concat: [1, null, (...vs) => vs.map((v) => items(v).map(toString).join('')).join('')],
    int: [1, 1, finite(Math.trunc)],
    number: [1, 1, toNumber],
    string: [1, 1, toString],
    boolean: [1, 1, toBool],
    round: [1, 2, round],
    now: [0, 0, now],
    sum: [1, 1, (v) => { let t = 0; for (const x of items(v)) if (x !== '') t += toNumber(x); return t; }],
    count: [1, 1, (v) => (Array.isArray(v) ? v.length : 1)],
    min: [1, null, extreme((a, b) => a < b)],
    max: [1, null, extreme((a, b) => a > b)],
    not: [1, 1, (v) => !toBool(v)],
    true: [0, 0, () => true],
    false: [0, 0, () => false],
    uuid: [0, 1, uuid],
    contains: [2, 2, (t, p) => toString(t).includes(toString(p))],
    'starts-with': [2, 2, (t, p) => toString(t).startsWith(toString(p))],
    substr: [2, 3, (s, a, b) => { const t = chars(s), i = index(a), j = b === undefined ? t.length : index(b); return i === null || j === null ? '' : t.slice(i, j).join(''); }],
    floor: [1, 1, finite(Math.floor)],
    ceiling: [1, 1, finite(Math.ceil)],
    abs: [1, 1, (v) => Math.abs(toNumber(v))],
    pow: [2, 2, pow],
  };

  /** Calls compiled from the tree: lazy, or reading the environment. */
  const SPECIAL = {
    if: [3, 3, ([c, a, b]) => (env) => (toBool(c(env)) ? a(env) : b(env))],
    coalesce: [2, 2, ([a, b]) => (env) => { const v = a(env); return toString(v) !== '' ? v : b(env); }],
    today: [0, 0, () => (env) => env.today()],
    position: [1, 1, () => (env) => env.position()],
    'indexed-repeat': [3, 3, ([, , i], [q, r]) => (env) => { const n = toNumber(i(env)); return isFinite(n) ? env.indexed(q.name, r.name, Math.trunc(n)) : ''; }],
  };

  function arity(low, high) {
    const s = (n) => (n === 1 ? '' : 's');
    if (high === null) return `at least ${low} argument${s(low)}`;
    if (low !== high) return `${low} to ${high} arguments`;
    return low === 0 ? 'no arguments' : `${low} argument${s(low)}`;
  }

  /** What stops a call from running (as forms.expressions.check_call), or null. */
  function problem(node) {
    const spec = has(SPECIAL, node.name) ? SPECIAL[node.name] : has(EAGER, node.name) ? EAGER[node.name] : null, n = node.args.length;
    if (!spec) return `unknown function '${node.name}'`;
    if (n < spec[0] || (spec[1] !== null && n > spec[1])) return `${node.name}() takes ${arity(spec[0], spec[1])}, got ${n}`;
    if (node.name === 'position' && node.args[0].k !== 'parent') return "position() takes '..' as its argument";
    if (node.name === 'indexed-repeat' && (node.args[0].k !== 'ref' || node.args[1].k !== 'ref')) {
      return 'indexed-repeat() takes ${question} and ${repeat} as its first two arguments';
    }
    return null;
  }

  function call(node) {
    const wrong = problem(node), pos = node.pos || 0;
    if (wrong) return () => { throw new EvaluationError(wrong, pos); }; // raised when reached, as in Python
    const args = node.args.map(compile);
    if (has(SPECIAL, node.name)) return SPECIAL[node.name][2](args, node.args);
    const f = EAGER[node.name][2];
    return (env) => {
      const values = args.map((a) => a(env));
      try { return f(...values); } catch (e) {
        throw e instanceof EvaluationError ? new EvaluationError(e.message, pos) : e;
      }
    };
  }

  /** An AST (JSON, tagged by "k") as a function of the environment. */
  function compile(node) {
    switch (node.k) {
      case 'num': case 'str': { const v = node.value; return () => v; }
      case 'ref': { const name = node.name; return (env) => env.ref(name); }
      case 'cur': return (env) => env.current();
      case 'field': { const name = node.name; return (env) => env.field(name); }
      case 'parent': return () => '';
      case 'neg': { const f = compile(node.operand); return (env) => -toNumber(f(env)); }
      case 'call': return call(node);
      case 'bin': {
        const l = compile(node.left), r = compile(node.right), op = node.op;
        if (op === 'and') return (env) => toBool(l(env)) && toBool(r(env));
        if (op === 'or') return (env) => toBool(l(env)) || toBool(r(env));
        if (has(ARITHMETIC, op)) { const f = ARITHMETIC[op]; return (env) => f(toNumber(l(env)), toNumber(r(env))); }
        if (has(COMPARE, op)) { const f = COMPARE[op]; return (env) => f(l(env), r(env)); }
      }
    }
    throw new TypeError(`not an expression node: ${JSON.stringify(node)}`);
  }

  const compileBool = (node) => { const f = compile(node); return (env) => toBool(f(env)); };
  const evaluate = (node, env) => compile(node)(env);

  // --------------------------------------------------------------- reading answers by type
  // Each reader returns [cleaned answer, XPath value] or throws an Invalid, as validation.py.
  class Invalid { constructor(code, params = {}) { this.code = code; this.params = params; } }
  const invalid = (code, params) => { throw new Invalid(code, params); };
  const DIGIT = /\p{Nd}/u;
  /** Any Unicode decimal digits to ASCII, as Python's int() and float() read them. */
  const ascii = (s) => s.replace(/\p{Nd}/gu, (d) => {
    let zero = d.codePointAt(0);
    while (DIGIT.test(String.fromCodePoint(zero - 1))) zero--; // digits come in runs from 0 to 9
    return String((d.codePointAt(0) - zero) % 10);
  });
  const INTEGER = /^[+-]?\p{Nd}+$/u;
  const DECIMAL_TEXT = /^[+-]?(\p{Nd}+(\.\p{Nd}*)?|\.\p{Nd}+)([eE][+-]?\p{Nd}+)?$/u;
  /** Python float() of a string: also "1_000", "inf" and "nan"; NaN when it would raise. */
  function pyFloat(s) {
    const t = ascii(strip(s)).replace(/(?<=\d)_(?=\d)/g, '');
    if (/^[+-]?(inf|infinity|nan)$/i.test(t)) return Number(t.replace(/inf(inity)?/i, 'Infinity').replace(/nan/i, 'NaN'));
    return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : undefined;
  }
  const fromDays = (n) => new Date(n * 864e5).toISOString().slice(0, 10);
  const weekday = (n) => (((n + 3) % 7) + 7) % 7; // 0 is Monday; 1970-01-01 was a Thursday
  /** ISO week date YYYY-Www-D as days, as Python's date.fromisoformat takes it. */
  function weekDate(y, w, d) {
    const jan1 = weekday(days(y, 1, 1)), leap = !isNaN(days(y, 2, 29));
    if (w < 1 || d < 1 || d > 7 || (w > 52 && !(w === 53 && (jan1 === 3 || (jan1 === 2 && leap))))) return NaN;
    const monday = days(y, 1, 4) - weekday(days(y, 1, 4));
    const n = monday + (w - 1) * 7 + d - 1;
    return n >= days(1, 1, 1) && n <= days(9999, 12, 31) ? n : NaN;
  }
  const choice = (p, v) => (typeof v === 'string' && p.options.has(v) ? [v, v] : invalid('choice', { value: v }));

  const READERS = {
    text: (p, v) => (typeof v === 'string' ? [v, v] : invalid('text')),
    integer(p, v) {
      if (typeof v === 'string' && INTEGER.test(strip(v))) v = Number(ascii(strip(v)));
      return typeof v === 'number' && Number.isInteger(v) ? [v + 0, v + 0] : invalid('integer');
    },
    decimal(p, v) {
      if (typeof v === 'string' && DECIMAL_TEXT.test(strip(v))) v = Number(ascii(strip(v)));
      return typeof v === 'number' && isFinite(v) ? [v, v] : invalid('decimal');
    },
    select_one: choice,
    likert: choice,
    select_multiple(p, v) {
      if (typeof v === 'string') v = tokens(v);
      else if (!Array.isArray(v)) invalid('choice', { value: v });
      const chosen = [];
      for (const x of v) {
        if (typeof x !== 'string' || (!p.options.has(x) && strip(x) !== '')) invalid('choice', { value: x });
        if (p.options.has(x)) chosen.push(x);
      }
      if (!chosen.length) return [null, ''];
      if (chosen.length > 1) {
        const dup = chosen.find((x) => chosen.indexOf(x) !== chosen.lastIndexOf(x));
        if (dup !== undefined) invalid('duplicate', { value: dup });
        const alone = chosen.find((x) => p.exclusive.has(x));
        if (alone !== undefined) invalid('exclusive', { value: alone });
      }
      if (p.top != null && chosen.length > p.top) invalid('top', { top: p.top });
      return [chosen, chosen.join(' ')];
    },
    date(p, v) {
      const s = typeof v === 'string' ? strip(v) : '';
      let m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(s), n = m ? days(+m[1], +m[2], +m[3]) : NaN;
      if ((m = /^(\d{4})-W(\d\d)-(\d)$/.exec(s))) n = weekDate(+m[1], +m[2], +m[3]);
      return n === n ? [fromDays(n), fromDays(n)] : invalid('date');
    },
    time(p, v) {
      const s = typeof v === 'string' ? strip(v) : '', m = /^(\d\d):(\d\d)(:(\d\d))?$/.exec(s);
      return m && +m[1] < 24 && +m[2] < 60 && +(m[4] || 0) < 60 ? [s, s] : invalid('time');
    },
    geopoint(p, v) {
      const parts = typeof v === 'string' ? tokens(v) : Array.isArray(v) ? v : [];
      let ns = parts.map((x) => (typeof x === 'number' ? x : typeof x === 'boolean' ? +x : typeof x === 'string' ? pyFloat(x) : undefined));
      if (ns.includes(undefined)) ns = [];
      if (!(ns.length >= 2 && ns.length <= 4 && ns[0] >= -90 && ns[0] <= 90 && ns[1] >= -180 && ns[1] <= 180)) invalid('geopoint');
      const text = ns.map(formatNumber).join(' ');
      return [text, text];
    },
    consent(p, v) {
      if (typeof v === 'boolean') v = v ? 'yes' : 'no';
      return v === 'yes' || v === 'no' ? [v, v] : invalid('consent');
    },
  };
  READERS.rank = READERS.select_multiple;

  /** A list given for a one-answer question: its one non-empty string (validation's _single). */
  function single(v) {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return v;
    const vs = v.filter((x) => x !== '');
    if (vs.length > 1) invalid('several');
    return vs.length ? vs[0] : null;
  }

  function empty(v) {
    if (v == null) return true;
    if (typeof v === 'string') return strip(v) === '';
    return Array.isArray(v) && v.every(empty);
  }

  // ----------------------------------------------------------------------- the form engine
  const ANSWER = 0, MULTI = 1, CALCULATE = 2, NOTE = 3, REPEAT = 4;
  const KINDS = { calculate: CALCULATE, note: NOTE, repeat: REPEAT, select_multiple: MULTI, rank: MULTI };

  /** One frame per scope instance (the form, or one repeat instance): values for expressions. */
  class Frame {
    constructor(parent, owner, position) {
      Object.assign(this, { parent, owner, position, values: new Map(), instances: new Map() });
    }
  }

  /** What an expression sees from one frame: `${name}` resolved as validation's _Env does. */
  class Env {
    constructor(form, frame, today) {
      Object.assign(this, { form, frame, cur: '', fields: null, day: today });
    }
    ref(name) {
      const { form, frame } = this;
      if (form.local.get(frame.owner).has(name)) return frame.values.get(name) ?? '';
      const [climb, gather, isRepeat] = form.resolve(frame.owner, name);
      let f = frame;
      for (let i = 0; i < climb; i++) f = f.parent;
      if (!gather.length) return isRepeat ? (f.instances.get(name) || []).map(() => '') : f.values.get(name) ?? '';
      const out = [];
      const collect = (fr, depth) => {
        for (const child of fr.instances.get(gather[depth]) || []) {
          if (depth + 1 < gather.length) collect(child, depth + 1);
          else if (isRepeat) for (const _ of child.instances.get(name) || []) out.push('');
          else out.push(child.values.get(name) ?? '');
        }
      };
      collect(f, 0);
      return out;
    }
    current() { return this.cur; }
    field(name) { return has(this.fields, name) ? this.fields[name] : ''; }
    position() { return this.frame.position; }
    indexed(name, repeat, i) {
      const v = this.ref(name);
      return Array.isArray(v) ? (i >= 1 && i <= v.length ? v[i - 1] : '') : v;
    }
    today() { return this.day; }
  }

  function localToday() {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  }

  /** Compile a published form once: its logic (ASTs) and definition (types, choices, limits). */
  function form(logic, definition) {
    const defs = new Map(), slots = logic.slots;
    (function walk(qs) { for (const q of qs || []) { if (!defs.has(q.name)) defs.set(q.name, q); walk(q.questions); } })(definition.questions);
    const relevance = new Map(); // one closure per question, shared by its members, as in Python
    const relevant = (name) => {
      if (!relevance.has(name)) relevance.set(name, compileBool(slots[name].logic.relevant));
      return relevance.get(name);
    };
    const owner = (s) => (s.repeats.length ? s.repeats[s.repeats.length - 1] : '');
    const plans = new Map(), local = new Map(), groups = new Map();
    for (const o of Object.keys(logic.scopes)) { local.set(o, new Set()); groups.set(o, []); }
    for (const [name, s] of Object.entries(slots)) {
      const q = defs.get(name) || {}, lg = s.logic, chain = s.path.split('/').slice(0, -1);
      const conditions = chain.slice(s.repeats.length ? chain.lastIndexOf(owner(s)) + 1 : 0)
        .filter((c) => slots[c].logic.relevant).map(relevant);
      if (lg.relevant) conditions.push(relevant(name));
      const list = (q.choices && definition.choices && definition.choices[q.choices]) || [];
      const options = new Map(list.map((c) => [c.name, c]));
      const p = {
        name, type: s.type, kind: KINDS[s.type] ?? ANSWER, conditions, options,
        others: new Set(list.filter((c) => c.other).map((c) => c.name)),
        exclusive: new Set(list.filter((c) => c.exclusive).map((c) => c.name)),
        required: q.required === true, requiredIf: lg.required ? compileBool(lg.required) : null,
        constraint: lg.constraint ? compileBool(lg.constraint) : null,
        filter: lg.choice_filter && list.length ? compileBool(lg.choice_filter) : null,
        compute: lg.calculation ? compile(lg.calculation) : lg.repeat_count ? compile(lg.repeat_count) : null,
        minimum: q.minimum ?? null, maximum: q.maximum ?? null, top: q.top ?? null,
      };
      p.otherKey = p.others.size ? `${name}_other` : null;
      p.checks = !!(p.constraint || p.filter || p.minimum !== null || p.maximum !== null);
      p.must = p.required || !!p.requiredIf;
      plans.set(name, p);
      if (s.type === 'group') groups.get(owner(s)).push(p);
      else if (s.type !== 'repeat') local.get(owner(s)).add(name);
    }
    const resolved = new Map();
    return {
      plans, local, groups,
      scopes: new Map(Object.entries(logic.scopes).map(([o, names]) => [o, names.map((n) => plans.get(n))])),
      /** How ${name} resolves from scope o: [frames to climb, repeats to gather, is a repeat]. */
      resolve(o, name) {
        const key = `${o}\n${name}`;
        if (!resolved.has(key)) {
          const s = slots[name];
          if (!s) throw new EvaluationError(`unknown question \${${name}}`);
          const chain = o ? [...slots[o].repeats, o] : [];
          let common = 0;
          while (common < Math.min(chain.length, s.repeats.length) && chain[common] === s.repeats[common]) common++;
          resolved.set(key, [chain.length - common, s.repeats.slice(common), s.type === 'repeat']);
        }
        return resolved.get(key);
      },
      check(answers, options = {}) { return new Run(this, options.today || localToday()).check(answers || {}); },
    };
  }

  /** One check of the answers: validation.py's walk, in its order, keeping its results. */
  class Run {
    constructor(form, today) {
      Object.assign(this, { form, today, pending: [], filtered: [] });
      this.state = { relevant: dict(), errors: [], dropped: [], values: dict(), choices: dict(), answers: null };
    }

    check(answers) {
      this.state.answers = this.scope('', { ...answers }, new Frame(null, '', 0), '');
      this.finish();
      return this.state;
    }

    fail(path, code, params = {}) { this.state.errors.push({ path, code, params }); }

    scope(owner, raw, frame, prefix) {
      const out = dict(), env = new Env(this.form, frame, this.today), decided = new Map(), st = this.state;
      const test = (p) => p.conditions.every((c) => {
        if (!decided.has(c)) decided.set(c, c(env));
        return decided.get(c);
      });
      const take = (key) => { const v = key && has(raw, key) ? raw[key] : null; if (key) delete raw[key]; return v ?? null; };
      for (const p of this.form.scopes.get(owner)) {
        const path = prefix + p.name, value = take(p.name), other = take(p.otherKey);
        const relevant = (st.relevant[path] = test(p));
        if (!relevant) {
          if (!empty(value)) st.dropped.push(path);
          if (!empty(other)) st.dropped.push(`${path}_other`);
          continue;
        }
        if (p.filter) this.filtered.push([p, path, env]);
        if (p.kind === ANSWER || p.kind === MULTI) this.answer(p, value, other, env, path, out);
        else if (p.kind === CALCULATE) {
          const result = p.compute ? p.compute(env) : '';
          if (result === result && result !== '') { frame.values.set(p.name, result); out[p.name] = st.values[path] = result; }
        } else if (p.kind === REPEAT) this.repeat(p, value, frame, env, path, out);
        else if (!empty(value)) this.fail(path, 'no_answer');
      }
      for (const g of this.form.groups.get(owner)) st.relevant[prefix + g.name] = test(g);
      for (const key of Object.keys(raw)) if (!empty(raw[key])) this.fail(prefix + key, 'unknown');
      return out;
    }

    answer(p, value, other, env, path, out) {
      let clean = null, xpath = '';
      if (value !== null && value !== '') {
        try {
          if (p.type === 'text' && typeof value === 'string') [clean, xpath] = [value, value]; // validation's fast path
          else if (p.kind === MULTI) [clean, xpath] = READERS[p.type](p, value);
          else {
            if (Array.isArray(value)) value = single(value);
            if (!(value === null || (typeof value === 'string' && strip(value) === ''))) [clean, xpath] = READERS[p.type](p, value);
          }
        } catch (e) {
          if (!(e instanceof Invalid)) throw e;
          return this.fail(path, e.code, e.params);
        }
      }
      if (clean !== null) { env.frame.values.set(p.name, xpath); out[p.name] = clean; }
      if (p.otherKey) this.other(p, clean, other, path, out);
      if (p.checks || (clean === null && p.must)) this.pending.push([p, path, env, clean, xpath]);
    }

    /** The "other, specify" text: required when "other" is chosen, dropped otherwise. */
    other(p, clean, other, path, out) {
      if (items(clean ?? []).some((v) => p.others.has(v))) {
        let text = other;
        try { if (Array.isArray(text)) text = single(text); } catch (e) { return this.fail(`${path}_other`, 'several'); }
        if (empty(text) || typeof text !== 'string') this.fail(`${path}_other`, 'other');
        else out[p.otherKey] = strip(text);
      } else if (!empty(other)) this.state.dropped.push(`${path}_other`);
    }

    repeat(p, value, frame, env, path, out) {
      const list = value === null ? [] : value, instances = [];
      frame.instances.set(p.name, instances);
      if (!Array.isArray(list) || list.some((x) => x === null || typeof x !== 'object' || Array.isArray(x))) return this.fail(path, 'repeat');
      if (p.compute) {
        const expected = toNumber(p.compute(env)); // NaN or an infinite count checks nothing
        if (isFinite(expected) && Math.trunc(expected) !== list.length) {
          this.fail(path, 'repeat_count', { expected: Math.trunc(expected), actual: list.length });
        }
      }
      const cleaned = list.map((item, i) => {
        const child = new Frame(frame, p.name, i + 1);
        instances.push(child);
        return this.scope(p.name, { ...item }, child, `${path}[${i + 1}].`);
      });
      if (cleaned.length) out[p.name] = cleaned;
    }

    /** Once every value is known: allowed choices, required, ranges, filters, constraints. */
    finish() {
      const st = this.state;
      for (const [p, path, env] of this.filtered) {
        env.cur = env.frame.values.get(p.name) ?? '';
        st.choices[path] = [...p.options.values()].filter((c) => {
          env.fields = { name: c.name, ...c.filters }; // a filter column called name wins, as in Python
          return p.filter(env);
        }).map((c) => c.name);
        env.fields = null;
      }
      for (const [p, path, env, clean, xpath] of this.pending) {
        env.cur = xpath;
        if (clean === null) {
          if (p.required) this.fail(path, 'required');
          continue;
        }
        if (p.minimum !== null && clean < p.minimum) this.fail(path, 'minimum', { limit: p.minimum });
        if (p.maximum !== null && clean > p.maximum) this.fail(path, 'maximum', { limit: p.maximum });
        if (p.filter) for (const v of items(clean)) if (!st.choices[path].includes(v)) this.fail(path, 'filtered', { value: v });
        if (p.constraint && !p.constraint(env)) this.fail(path, 'constraint');
      }
    }
  }

  const api = { EvaluationError, compile, compileBool, evaluate, form, toAnswer, toBool, toNumber, toString, translate };
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.TanfangLogic = api;
})(typeof globalThis !== 'undefined' ? globalThis : this);
