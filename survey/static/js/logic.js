/* Tanfang form logic in the browser: the expression interpreter and the form-state engine.
 *
 * It reads what GET /api/v1/forms/{id} publishes, `logic` (Compiled.logic_json(): ASTs tagged
 * "k") and `definition`, and answers exactly as the server's forms/evaluate.py, functions.py and
 * validation.py do (rules: docs/expressions.md; proof: tests/client/test_parity.py). No build.
 *
 *   const logic = TanfangLogic.form(detail.logic, detail.definition);  // once per form
 *   const state = logic.check(answers, {today: '2024-06-01'});         // after each input
 *
 * `answers` has the sync API's shape: {age: 67, needs: ['care'], household: [{m_age: 3}]}.
 * `state` is keyed by validation's paths (`age`, `household[2].m_age`): `relevant[path]` for each
 * question, group and repeat visited; `errors`, [{path, code, params}] in validate()'s order;
 * `dropped` answers; `values[path]` of calculations; `choices[path]`, what a choice filter allows;
 * `answers`, what the server keeps. A check is one pass over closures compiled once (about 1 ms
 * for 300 questions), so nothing tracks dependencies. `evaluate(ast, env)` runs one expression
 * (env: ref, current, field, position, indexed, today); EvaluationError only for calls that
 * cannot run. Values: string, number, boolean, array (a nodeset).
 *
 * Limits, all outside what docs/expressions.md asks authors to write: regex() translates Python
 * `re` syntax to a /u pattern, and throws on inline flags, \N{..}, atomic groups and possessive
 * quantifiers; pow() is exact for whole exponents up to 1100, else Math.pow (last bit may differ);
 * ISO week dates and float spellings like "1_0" or "nan", which Python reads, are refused.
 * For an interview or focus-group session only the outline's questions are checked here; its
 * roster, notes, quotes and timing are left to the server (forms/outline_answers.py).
 */
(function (root) {
'use strict';

// ------------------------------------------------------------------------ values
// Python's whitespace (str.isspace), for strip() and split(); not JavaScript's \s.
const WS = '\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const TRIM = new RegExp(`^[${WS}]+|[${WS}]+$`, 'g'), SPACES = new RegExp(`[${WS}]+`);
const strip = (s) => s.replace(TRIM, '');
const tokens = (s) => s.split(SPACES).filter(Boolean);
const has = (o, k) => o != null && Object.prototype.hasOwnProperty.call(o, k);
const items = (v) => (Array.isArray(v) ? v : [v]);
const dict = () => Object.create(null); // no inherited keys: a question may be called constructor

const DECIMAL = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([^\n]+))?$/;
const TIME = /^([0-9]{2}):([0-9]{2})(?::([0-9]{2}(?:\.[0-9]+)?))?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?$/;

/** Days since 1970-01-01 of a valid date (years 1-9999), else NaN. */
function days(y, m, d) {
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  return y >= 1 && t.getUTCMonth() === m - 1 && t.getUTCDate() === d ? t.getTime() / 864e5 : NaN;
}
function dayFraction(m) {
  const h = +m[1], min = +m[2], s = +(m[3] || 0);
  return h > 23 || min > 59 || s >= 60 ? NaN : (h * 3600 + min * 60 + s) / 86400;
}

/** XPath number(): "" and text are NaN, dates days since 1970, times fractions of a day. */
function toNumber(v) {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return +v;
  if (Array.isArray(v)) return v.length ? toNumber(v[0]) : NaN;
  const s = strip(v);
  if (DECIMAL.test(s)) return Number(s);
  let m = DATE.exec(s), t;
  if (m) return m[4] === undefined ? days(+m[1], +m[2], +m[3]) : (t = TIME.exec(m[4])) ? days(+m[1], +m[2], +m[3]) + dayFraction(t) : NaN;
  return (m = TIME.exec(s)) ? dayFraction(m) : NaN;
}

/** A finite number's shortest round-trip digits (Python's repr has the same): 0.<digits> × 10^point. */
function decompose(n) {
  const s = String(Math.abs(n)), e = s.indexOf('e'), mant = e < 0 ? s : s.slice(0, e), dot = mant.indexOf('.');
  const all = mant.replace('.', ''), digits = all.replace(/^0+/, '') || '0';
  const point = (dot < 0 ? mant.length : dot) + (e < 0 ? 0 : +s.slice(e + 1)) - (all.length - digits.length);
  return { sign: n < 0 || Object.is(n, -0) ? '-' : '', digits, point };
}

/** XPath string() of a number: no ".0", never an exponent, NaN and Infinity by name. */
function formatNumber(n) {
  if (n !== n) return 'NaN';
  if (!isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (n === 0) return '0';
  const { sign, digits, point } = decompose(n);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** XPath string(); a nodeset is its first item. */
function toString(v) {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return v.length ? toString(v[0]) : '';
}

/** XPath boolean(): a number is true unless 0 or NaN; a string or nodeset unless empty. */
const toBool = (v) => (typeof v === 'boolean' ? v : typeof v === 'number' ? v === v && v !== 0 : v.length > 0);
/** A value as a stored answer (calculation): NaN is stored as "", as ODK does. */
const toAnswer = (v) => (typeof v === 'number' && v !== v ? '' : toString(v));
/** An index argument, truncated and clamped; null for NaN ("" or text). */
function index(v) {
  const n = toNumber(v);
  return n !== n ? null : Math.trunc(Math.max(-2147483648, Math.min(2147483648, n)));
}

// --------------------------------------------------------------------- operators
function equal(a, b) {
  if (typeof a === 'boolean' || typeof b === 'boolean') return toBool(a) === toBool(b);
  return typeof a === 'string' && typeof b === 'string' ? a === b : toNumber(a) === toNumber(b);
}
/** XPath: with a nodeset on either side, true when any pair of items compares true. */
const nodesets = (test) => (a, b) => {
  if (!Array.isArray(a) && !Array.isArray(b)) return test(a, b);
  if (typeof a === 'boolean') b = toBool(b);
  else if (typeof b === 'boolean') a = toBool(a);
  return items(a).some((x) => items(b).some((y) => test(x, y)));
};
const numeric = (test) => nodesets((a, b) => test(toNumber(a), toNumber(b)));
const COMPARE = {
  '=': nodesets(equal), '!=': nodesets((a, b) => !equal(a, b)),
  '<': numeric((a, b) => a < b), '<=': numeric((a, b) => a <= b),
  '>': numeric((a, b) => a > b), '>=': numeric((a, b) => a >= b),
};
// IEEE like Python's: x div 0 is ±Infinity or NaN; % is C's fmod (the sign of the dividend).
const ARITHMETIC = {
  '+': (a, b) => a + b, '-': (a, b) => a - b, '*': (a, b) => a * b, div: (a, b) => a / b, mod: (a, b) => a % b,
};

// --------------------------------------------------------------------- functions
class EvaluationError extends Error {
  constructor(message, position = 0) {
    super(message);
    this.name = 'EvaluationError';
    this.position = position;
  }
}

/** A Python `re` pattern (re.ASCII) as a JavaScript /u pattern that matches the same. */
function translate(p) {
  let out = '', i = 0, cls = false;
  const bad = () => { throw new SyntaxError(p); };
  const hex = (k) => { const h = p.substr(i, k); i += k; return /^[0-9a-f]+$/i.test(h) && h.length === k ? `\\u{${h}}` : bad(); };
  while (i < p.length) {
    const c = p[i++];
    if (c === '\\') {
      const e = p[i++] ?? bad();
      if (e === 's') out += cls ? '\\t-\\r ' : '[\\t-\\r ]'; // ASCII whitespace only, as re.ASCII
      else if (e === 'S') out += cls ? '\\0-\\x08\\x0e-\\x1f!-\\u{10ffff}' : '[^\\t-\\r ]';
      else if ('dDwWbfnrtv'.includes(e) || (!cls && /[1-9B]/.test(e))) out += '\\' + e;
      else if (!cls && (e === 'A' || e === 'Z')) out += e === 'A' ? '^' : '$';
      else if (e === 'a') out += '\\x07';
      else if (e === 'x' || e === 'u' || e === 'U') out += hex({ x: 2, u: 4, U: 8 }[e]);
      else if (e === '0') { const o = /^[0-7]{0,2}/.exec(p.slice(i))[0]; i += o.length; out += `\\u{${parseInt(o || '0', 8).toString(16)}}`; }
      else if (/[A-Za-z0-9]/.test(e)) bad(); // unknown escapes are errors in Python too
      else { const cp = p.codePointAt(i - 1); i += cp > 0xffff ? 1 : 0; out += `\\u{${cp.toString(16)}}`; }
    } else if (cls) {
      cls = c !== ']';
      out += c === '[' ? '\\[' : c;
    } else if (c === '[') {
      cls = true;
      out += p[i] === '^' ? (i++, '[^') : '[';
      if (p[i] === ']') { out += '\\]'; i++; } // a leading ] is a literal in Python
    } else if (c === '.') out += '[^\\n]'; // Python's . stops only at \n
    else if (c === '$') out += '(?=\\n?$)'; // and its $ also matches before a final \n
    else if (c === '{') {
      const q = p[i] === '}' ? null : /^(\d*)(,(\d*))?\}/.exec(p.slice(i)); // else a literal {
      out += q ? `{${q[2] ? `${q[1] || 0},${q[3]}` : q[1]}}` : '\\{';
      i += q ? q[0].length : 0;
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
  if (!REGEXES.has(p)) {
    if (REGEXES.size > 256) REGEXES.clear();
    try { REGEXES.set(p, new RegExp(translate(p), 'u')); } catch (e) { REGEXES.set(p, null); }
  }
  const re = REGEXES.get(p);
  if (!re) throw new EvaluationError(`invalid regular expression ${JSON.stringify(p)}`);
  return re.test(toString(text));
}

/** round(): the number as printed, to `d` decimals, halves away from zero (Python's Decimal). */
function round(x, d = 0) {
  const n = toNumber(x), p = toNumber(d);
  if (!isFinite(n) || p !== p) return p === p ? n : NaN;
  const places = Math.trunc(Math.max(-400, Math.min(400, p))), { sign, digits, point } = decompose(n);
  const keep = point + places;
  if (keep >= digits.length) return n;
  if (keep < 0) return Number(sign + '0');
  const kept = BigInt(digits.slice(0, keep) || '0') + (digits[keep] >= '5' ? 1n : 0n);
  return Number(`${sign}${kept}e${-places}`);
}

/** pow() as the server's C pow: a whole power is computed exactly, then rounded once. */
function pow(base, exponent) {
  const x = toNumber(base), y = toNumber(exponent);
  if (x !== x || y !== y) return y === 0 || x === 1 ? 1 : NaN;
  if (!isFinite(y) && Math.abs(x) === 1) return 1;
  if (x === 0 && y < 0) return Infinity;
  if (!Number.isInteger(y) || !y || Math.abs(y) > 1100 || !x || !isFinite(x)) return y === 0.5 && x > 0 ? Math.sqrt(x) : Math.pow(x, y);
  const bits = new DataView(new ArrayBuffer(8));
  bits.setFloat64(0, Math.abs(x));
  const hi = bits.getUint32(0), exp = hi >>> 20, k = BigInt(Math.abs(y)); // |x| = m × 2^e exactly
  const m = (BigInt(hi & 0xfffff) << 32n) | BigInt(bits.getUint32(4)) | (exp ? 1n << 52n : 0n);
  let num = m ** k, den = 1n, twos = BigInt(exp ? exp - 1075 : -1074) * k;
  if (y < 0) [num, den, twos] = [den, num, -twos];
  if (twos > 0n) num <<= twos; else den <<= -twos;
  // 800 significant digits and a sticky digit round as the exact fraction would (Number() rounds once)
  const shift = 800 - num.toString().length + den.toString().length, ten = 10n ** BigInt(Math.abs(shift));
  const [a, b] = shift >= 0 ? [num * ten, den] : [num, den * ten], sticky = a % b ? '1' : '';
  return Number(`${x < 0 && k % 2n ? '-' : ''}${a / b}${sticky}e${-shift - sticky.length}`);
}

/** uuid(): a random version-4 UUID; uuid(n): n random letters and digits (at most 1000). */
function uuid(length) {
  const size = length === undefined ? null : index(length), want = Math.max(0, Math.min(size, 1000));
  if (size === null) return root.crypto.randomUUID();
  let out = '';
  while (out.length < want) for (const b of root.crypto.getRandomValues(new Uint8Array(64))) if (b < 248 && out.length < want) out += ALNUM[b % 62];
  return out;
}
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** now(): local time with milliseconds and UTC offset, as Python's isoformat(). */
function now() {
  const d = new Date(), off = -d.getTimezoneOffset(), local = new Date(d - d.getTimezoneOffset() * 6e4).toISOString();
  const hm = (n) => String(Math.abs(n)).padStart(2, '0');
  return `${local.slice(0, 23)}${off < 0 ? '-' : '+'}${hm(Math.trunc(off / 60))}:${hm(off % 60)}`;
}
const finite = (f) => (v) => { const n = toNumber(v); return isFinite(n) ? f(n) + 0 : n; }; // + 0: no -0, as Python
/** min() and max(): over all items, empty ones skipped; NaN when none is left or one is text. */
const extreme = (better) => (...values) => {
  const ns = values.flatMap(items).filter((x) => x !== '').map(toNumber);
  return !ns.length || ns.some((n) => n !== n) ? NaN : ns.reduce((best, n) => (better(n, best) ? n : best));
};
const chars = (v) => Array.from(toString(v)); // code points, as Python counts

/** Functions of their arguments' values: name -> [fewest, most (null: any), function]. */
const EAGER = {
  selected: [2, 2, (a, c) => tokens(toString(a)).includes(strip(toString(c)))],
  'count-selected': [1, 1, (a) => tokens(toString(a)).length],
  'selected-at': [2, 2, (a, i) => { const t = tokens(toString(a)), at = index(i); return at !== null && at >= 0 && at < t.length ? t[at] : ''; }],
  'string-length': [1, 1, (v) => chars(v).length],
  regex: [2, 2, regex],
  concat: [1, null, (...vs) => vs.flatMap(items).map(toString).join('')],
  int: [1, 1, finite(Math.trunc)],
  number: [1, 1, toNumber],
  string: [1, 1, toString],
  boolean: [1, 1, toBool],
  round: [1, 2, round],
  now: [0, 0, now],
  sum: [1, 1, (v) => items(v).reduce((t, x) => (x === '' ? t : t + toNumber(x)), 0)],
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
/** Calls compiled from the tree (lazy, or reading the environment): [fewest, most, (args, nodes) => closure]. */
const SPECIAL = {
  if: [3, 3, ([c, a, b]) => (env) => (toBool(c(env)) ? a(env) : b(env))],
  coalesce: [2, 2, ([a, b]) => (env) => { const v = a(env); return toString(v) !== '' ? v : b(env); }],
  today: [0, 0, () => (env) => env.today()],
  position: [1, 1, () => (env) => env.position()],
  'indexed-repeat': [3, 3, ([, , i], [q, r]) => (env) => { const n = toNumber(i(env)); return isFinite(n) ? env.indexed(q.name, r.name, Math.trunc(n)) : ''; }],
};

/** What stops a call from running (forms.expressions.check_call, regex aside), or null. */
function problem({ name, args }) {
  const spec = has(SPECIAL, name) ? SPECIAL[name] : has(EAGER, name) ? EAGER[name] : null;
  if (!spec) return `unknown function '${name}'`;
  if (args.length < spec[0] || (spec[1] !== null && args.length > spec[1])) return `${name}(): wrong number of arguments`;
  if (name === 'position' && args[0].k !== 'parent') return "position() takes '..'";
  return name === 'indexed-repeat' && (args[0].k !== 'ref' || args[1].k !== 'ref') ? 'indexed-repeat() takes two ${references}' : null;
}

function call(node) {
  const wrong = problem(node), pos = node.pos || 0;
  if (wrong) return () => { throw new EvaluationError(wrong, pos); }; // when reached, as in Python
  const args = node.args.map(compile);
  if (has(SPECIAL, node.name)) return SPECIAL[node.name][2](args, node.args);
  const f = EAGER[node.name][2];
  return (env) => {
    const values = args.map((a) => a(env)); // all arguments first, left to right
    try { return f(...values); } catch (e) { throw e instanceof EvaluationError ? new EvaluationError(e.message, pos) : e; }
  };
}

/** An AST (JSON tagged by "k") as a function of the environment. */
function compile(node) {
  switch (node.k) {
    case 'num': case 'str': { const v = node.value; return () => v; }
    case 'ref': { const name = node.name; return (env) => env.ref(name); }
    case 'cur': return (env) => env.current();
    case 'field': { const name = node.name; return (env) => env.field(name); }
    case 'parent': return () => ''; // `..` means something only in position(..)
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

// ------------------------------------------------------- reading answers by type
// Each reader returns [cleaned answer, XPath value] or throws Invalid, as validation.py's.
class Invalid { constructor(code, params = {}) { Object.assign(this, { code, params }); } }
const invalid = (code, params) => { throw new Invalid(code, params); };
/** Unicode decimal digits (１２, ١٢) as ASCII, as Python's int() and float() read them. */
const ascii = (s) => s.replace(/\p{Nd}/gu, (d) => {
  let zero = d.codePointAt(0);
  while (/\p{Nd}/u.test(String.fromCodePoint(zero - 1))) zero--; // digits run from 0 to 9
  return String((d.codePointAt(0) - zero) % 10);
});
const number = (re) => (v) => (typeof v === 'string' && re.test(strip(v)) ? Number(ascii(strip(v))) : v);
const integer = number(/^[+-]?\p{Nd}+$/u), decimal = number(/^[+-]?(\p{Nd}+(\.\p{Nd}*)?|\.\p{Nd}+)([eE][+-]?\p{Nd}+)?$/u);
const choice = (p, v) => (typeof v === 'string' && p.options.has(v) ? [v, v] : invalid('choice', { value: v }));
function choices(p, v) {
  if (!Array.isArray(v)) v = typeof v === 'string' ? tokens(v) : invalid('choice', { value: v });
  const bad = v.find((x) => typeof x !== 'string' || (!p.options.has(x) && strip(x) !== ''));
  if (bad !== undefined) invalid('choice', { value: bad });
  const chosen = v.filter((x) => p.options.has(x));
  const twice = chosen.find((x) => chosen.indexOf(x) !== chosen.lastIndexOf(x)), alone = chosen.find((x) => p.exclusive.has(x));
  if (twice !== undefined) invalid('duplicate', { value: twice });
  if (alone !== undefined && chosen.length > 1) invalid('exclusive', { value: alone });
  if (p.top != null && chosen.length > p.top) invalid('top', { top: p.top });
  return chosen.length ? [chosen, chosen.join(' ')] : [null, ''];
}
const READERS = {
  text: (p, v) => (typeof v === 'string' ? [v, v] : invalid('text')),
  integer: (p, v) => ((v = integer(v)), typeof v === 'number' && Number.isInteger(v) ? [v + 0, v + 0] : invalid('integer')),
  decimal: (p, v) => ((v = decimal(v)), typeof v === 'number' && isFinite(v) ? [v, v] : invalid('decimal')),
  select_one: choice, likert: choice, select_multiple: choices, rank: choices,
  date(p, v) {
    const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(typeof v === 'string' ? strip(v) : ''), n = m ? days(+m[1], +m[2], +m[3]) : NaN;
    return n === n ? Array(2).fill(new Date(n * 864e5).toISOString().slice(0, 10)) : invalid('date');
  },
  time(p, v) {
    const s = typeof v === 'string' ? strip(v) : '', m = /^(\d\d):(\d\d)(:(\d\d))?$/.exec(s);
    return m && m[1] < 24 && m[2] < 60 && (m[4] || 0) < 60 ? [s, s] : invalid('time');
  },
  geopoint(p, v) {
    const ns = (typeof v === 'string' ? tokens(v) : Array.isArray(v) ? v : [])
      .map((x) => (typeof x === 'boolean' ? +x : typeof x === 'number' ? x : decimal(x)));
    if (!(ns.length >= 2 && ns.length <= 4 && ns.every((x) => typeof x === 'number') && Math.abs(ns[0]) <= 90 && Math.abs(ns[1]) <= 180)) invalid('geopoint');
    const text = ns.map(formatNumber).join(' ');
    return [text, text];
  },
  consent(p, v) {
    if (typeof v === 'boolean') v = v ? 'yes' : 'no';
    return v === 'yes' || v === 'no' ? [v, v] : invalid('consent');
  },
};
/** A list given for a one-answer question: its one non-empty string (validation's _single). */
function single(v) {
  if (!v.every((x) => typeof x === 'string')) return v;
  const vs = v.filter((x) => x !== '');
  return vs.length > 1 ? invalid('several') : vs.length ? vs[0] : null;
}
const empty = (v) => v == null || (typeof v === 'string' ? strip(v) === '' : Array.isArray(v) && v.every(empty));

// ----------------------------------------------------------------- the form engine
const ANSWER = 0, CALCULATE = 1, NOTE = 2, REPEAT = 3;
const KINDS = { calculate: CALCULATE, note: NOTE, repeat: REPEAT };
const MULTI = new Set(['select_multiple', 'rank']);
const SESSION = ['roster', 'notes', 'quotes', 'timing']; // an interview's or focus group's own keys

/** The values of one scope instance — the form, or one repeat instance — for expressions. */
const frame = (parent, owner, position) => ({ parent, owner, position, values: new Map(), instances: new Map() });

/** What an expression sees from one frame: `${name}` resolved as validation's _Env does. */
class Env {
  constructor(form, frame, today) { Object.assign(this, { form, frame, day: today, cur: '', fields: null }); }
  ref(name) {
    const { form, frame } = this;
    if (form.local.get(frame.owner).has(name)) return frame.values.get(name) ?? '';
    const [climb, gather, isRepeat] = form.resolve(frame.owner, name);
    let f = frame;
    for (let i = 0; i < climb; i++) f = f.parent;
    if (!gather.length) return isRepeat ? (f.instances.get(name) || []).map(() => '') : f.values.get(name) ?? '';
    // from outside the repeats holding it: one item per instance, in order (a nodeset)
    const each = (fr, depth) => (fr.instances.get(gather[depth]) || []).flatMap((child) =>
      depth + 1 < gather.length ? each(child, depth + 1) : isRepeat ? (child.instances.get(name) || []).map(() => '') : [child.values.get(name) ?? '']);
    return each(f, 0);
  }
  current() { return this.cur; }
  field(name) { return has(this.fields, name) ? this.fields[name] : ''; }
  position() { return this.frame.position; }
  indexed(name, repeat, i) { const v = this.ref(name); return !Array.isArray(v) ? v : i >= 1 && i <= v.length ? v[i - 1] : ''; }
  today() { return this.day; }
}

/** Compile a published form once: its logic (ASTs) and definition (types, choices, limits). */
function form(logic, definition) {
  const slots = logic.slots, defs = new Map(), lists = definition.choices || {};
  (function walk(qs) { for (const q of qs || []) { if (!defs.has(q.name)) defs.set(q.name, q); walk(q.questions); } })(definition.questions);
  const relevance = new Map(); // one closure per question's relevant, shared by its members as in Python
  const relevant = (name) => relevance.get(name) || relevance.set(name, compileBool(slots[name].logic.relevant)).get(name);
  const owner = (s) => (s.repeats.length ? s.repeats[s.repeats.length - 1] : '');
  const local = new Map(), groups = new Map(), plans = new Map(), resolved = new Map();
  for (const o of Object.keys(logic.scopes)) { local.set(o, new Set()); groups.set(o, []); }
  for (const [name, s] of Object.entries(slots)) {
    const q = defs.get(name) || {}, lg = s.logic, options = new Map((lists[q.choices] || []).map((c) => [c.name, c]));
    const chain = s.path.split('/').slice(0, -1); // its groups and repeats; those inside its scope add their relevance
    const conditions = chain.slice(chain.lastIndexOf(owner(s)) + 1).filter((c) => slots[c].logic.relevant).map(relevant);
    if (lg.relevant) conditions.push(relevant(name));
    const pick = (key) => [...options.values()].filter((c) => c[key]).map((c) => c.name);
    const p = {
      name, type: s.type, kind: KINDS[s.type] ?? ANSWER, conditions, options,
      others: new Set(pick('other')), exclusive: new Set(pick('exclusive')),
      required: q.required === true, requiredIf: lg.required && compileBool(lg.required),
      constraint: lg.constraint && compileBool(lg.constraint), filter: lg.choice_filter && compileBool(lg.choice_filter),
      compute: (lg.calculation || lg.repeat_count) && compile(lg.calculation || lg.repeat_count),
      minimum: q.minimum ?? null, maximum: q.maximum ?? null, top: q.top ?? null,
    };
    p.otherKey = p.others.size ? `${name}_other` : null;
    p.checks = !!(p.constraint || p.filter) || p.minimum !== null || p.maximum !== null;
    p.must = p.required || !!p.requiredIf;
    plans.set(name, p);
    if (s.type === 'group') groups.get(owner(s)).push(p);
    else if (s.type !== 'repeat') local.get(owner(s)).add(name);
  }
  return {
    local, groups,
    scopes: new Map(Object.entries(logic.scopes).map(([o, names]) => [o, names.map((n) => plans.get(n))])),
    /** How ${name} resolves from scope o: [frames to climb, repeats to gather, is a repeat]. */
    resolve(o, name) {
      const key = `${o}/${name}`;
      if (!resolved.has(key)) {
        const s = slots[name] || invalid('unknown'), chain = o ? [...slots[o].repeats, o] : [];
        let common = 0;
        while (common < chain.length && chain[common] === s.repeats[common]) common++;
        resolved.set(key, [chain.length - common, s.repeats.slice(common), s.type === 'repeat']);
      }
      return resolved.get(key);
    },
    check(answers, options = {}) {
      const d = new Date(), today = options.today || new Date(d - d.getTimezoneOffset() * 6e4).toISOString().slice(0, 10);
      const own = { ...answers };
      if (definition.kind && definition.kind !== 'questionnaire') for (const k of SESSION) delete own[k]; // the server's part
      return new Run(this, today).check(own);
    },
  };
}

/** One check of the answers: validation.py's walk, in its order, with its results. */
class Run {
  constructor(form, today) {
    Object.assign(this, { form, today, pending: [], filtered: [] });
    this.state = { relevant: dict(), errors: [], dropped: [], values: dict(), choices: dict(), answers: null };
  }
  check(answers) {
    this.state.answers = this.scope('', answers, frame(null, '', 0), '');
    this.finish();
    return this.state;
  }
  fail(path, code, params = {}) { this.state.errors.push({ path, code, params }); }

  /** One scope instance's questions in evaluation order; returns its cleaned answers. */
  scope(owner, raw, fr, prefix) {
    const out = dict(), env = new Env(this.form, fr, this.today), st = this.state, decided = new Map();
    const on = (c) => (decided.has(c) ? decided.get(c) : decided.set(c, c(env)).get(c)); // once per scope, as Python
    const take = (key) => { const v = key && has(raw, key) ? raw[key] : null; if (key) delete raw[key]; return v ?? null; };
    for (const p of this.form.scopes.get(owner)) {
      const path = prefix + p.name, value = take(p.name), other = take(p.otherKey);
      if (!(st.relevant[path] = p.conditions.every(on))) {
        if (!empty(value)) st.dropped.push(path);
        if (!empty(other)) st.dropped.push(`${path}_other`);
      } else if (p.kind === ANSWER) {
        if (p.filter) this.filtered.push([p, path, env]);
        this.answer(p, value, other, env, path, out);
      } else if (p.kind === CALCULATE) {
        const result = p.compute ? p.compute(env) : '';
        if (result === result && result !== '') { fr.values.set(p.name, result); out[p.name] = st.values[path] = result; }
      } else if (p.kind === REPEAT) this.repeat(p, value, fr, env, path, out);
      else if (!empty(value)) this.fail(path, 'no_answer');
    }
    for (const g of this.form.groups.get(owner)) st.relevant[prefix + g.name] = g.conditions.every(on);
    for (const key of Object.keys(raw)) if (!empty(raw[key])) this.fail(prefix + key, 'unknown');
    return out;
  }

  answer(p, value, other, env, path, out) {
    let clean = null, xpath = '';
    try {
      if (value === null || value === '') ; // unanswered
      else if (p.type === 'text' && typeof value === 'string') [clean, xpath] = [value, value]; // even blank: Python's fast path
      else if (MULTI.has(p.type)) [clean, xpath] = READERS[p.type](p, value);
      else {
        if (Array.isArray(value)) value = single(value);
        if (value !== null && !(typeof value === 'string' && strip(value) === '')) [clean, xpath] = READERS[p.type](p, value);
      }
    } catch (e) {
      if (e instanceof Invalid) return this.fail(path, e.code, e.params);
      throw e;
    }
    if (clean !== null) { env.frame.values.set(p.name, xpath); out[p.name] = clean; }
    if (p.otherKey) this.other(p, clean, other, path, out);
    if (p.checks || (clean === null && p.must)) this.pending.push([p, path, env, clean, xpath]);
  }

  /** The "other, specify" text: required when "other" is chosen, dropped otherwise. */
  other(p, clean, other, path, out) {
    if (!items(clean ?? []).some((v) => p.others.has(v))) {
      if (!empty(other)) this.state.dropped.push(`${path}_other`);
      return;
    }
    try { other = Array.isArray(other) ? single(other) : other; } catch (e) { return this.fail(`${path}_other`, 'several'); }
    if (typeof other !== 'string' || empty(other)) this.fail(`${path}_other`, 'other');
    else out[p.otherKey] = strip(other);
  }

  repeat(p, value, fr, env, path, out) {
    const list = value ?? [], instances = [];
    fr.instances.set(p.name, instances);
    if (!Array.isArray(list) || list.some((x) => x === null || typeof x !== 'object' || Array.isArray(x))) return this.fail(path, 'repeat');
    const expected = p.compute ? toNumber(p.compute(env)) : NaN; // NaN or Infinity checks nothing
    if (isFinite(expected) && Math.trunc(expected) !== list.length) this.fail(path, 'repeat_count', { expected: Math.trunc(expected), actual: list.length });
    const cleaned = list.map((item, i) => {
      const child = frame(fr, p.name, i + 1);
      instances.push(child);
      return this.scope(p.name, { ...item }, child, `${path}[${i + 1}].`);
    });
    if (cleaned.length) out[p.name] = cleaned;
  }

  /** Once every value is known: allowed choices, then required, ranges, filters, constraints. */
  finish() {
    const st = this.state;
    for (const [p, path, env] of this.filtered) {
      env.cur = env.frame.values.get(p.name) ?? ''; // `.` is the question's own answer
      st.choices[path] = [...p.options.values()].filter((c) => ((env.fields = { name: c.name, ...c.filters }), p.filter(env))).map((c) => c.name);
      env.fields = null;
    }
    for (const [p, path, env, clean, xpath] of this.pending) {
      env.cur = xpath;
      if (clean === null) {
        if (p.requiredIf ? p.requiredIf(env) : p.required) this.fail(path, 'required');
        continue;
      }
      if (p.minimum !== null && clean < p.minimum) this.fail(path, 'minimum', { limit: p.minimum });
      if (p.maximum !== null && clean > p.maximum) this.fail(path, 'maximum', { limit: p.maximum });
      if (p.filter) for (const v of items(clean)) if (!st.choices[path].includes(v)) this.fail(path, 'filtered', { value: v });
      if (p.constraint && !p.constraint(env)) this.fail(path, 'constraint');
    }
  }
}

const api = { EvaluationError, compile, compileBool, evaluate, form, toAnswer, toBool, toNumber, toString };
if (typeof module === 'object' && module.exports) module.exports = api;
else root.TanfangLogic = api;
})(typeof globalThis !== 'undefined' ? globalThis : this);
