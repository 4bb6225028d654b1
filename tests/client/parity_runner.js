// Runs a batch of parity cases through survey/static/js/logic.js for tests/client/test_parity.py.
//
// stdin: one JSON request; special floats arrive as {"$f": "NaN" | "Infinity" | "-Infinity"}.
//   {"mode": "expressions", "cases": [{ast, values, current, fields, position, today}]}
//     -> [[value, condition]] per case, each ["n", "1.5"] | ["s", text] | ["b", bool] | ["l", [...]]
//        or ["e", position] for an EvaluationError
//   {"mode": "forms", "forms": [{logic, definition, today, answers: [answer sets]}]}
//     -> per form, per answer set, the state of logic.form(...).check(...)
//   {"mode": "bench", logic, definition, today, answers, rounds}
//     -> {compile_ms, check_ms}: the mean time of one check
// stdout: the JSON answer.
'use strict';
const path = require('path');
const L = require(path.join(__dirname, '..', '..', 'survey', 'static', 'js', 'logic.js'));

const revive = (key, v) =>
  v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof v.$f === 'string'
    ? Number(v.$f)
    : v;

function encode(v) {
  if (typeof v === 'number') return ['n', Object.is(v, -0) ? '-0' : String(v)];
  if (typeof v === 'string') return ['s', v];
  if (typeof v === 'boolean') return ['b', v];
  if (Array.isArray(v)) return ['l', v.map(encode)];
  if (v && typeof v === 'object') return ['d', Object.keys(v).map((k) => [k, encode(v[k])])];
  throw new Error(`not a value: ${v}`);
}

/** forms.env.MappingEnv, as the Python side of the corpus uses it. */
function mappingEnv(c) {
  const get = (o, k, d) => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : d);
  return {
    ref: (name) => get(c.values, name, ''),
    current: () => c.current,
    field: (name) => get(c.fields, name, ''),
    position: () => c.position,
    indexed(name, repeat, i) {
      const v = get(c.values, name, []), all = Array.isArray(v) ? v : [v];
      return i >= 1 && i <= all.length ? all[i - 1] : '';
    },
    today: () => c.today,
  };
}

function attempt(run) {
  try {
    return encode(run());
  } catch (e) {
    if (e instanceof L.EvaluationError) return ['e', e.position];
    throw e;
  }
}

function expressions(cases) {
  return cases.map((c) => {
    const env = mappingEnv(c);
    return [attempt(() => L.evaluate(c.ast, env)), attempt(() => L.compileBool(c.ast)(env))];
  });
}

function state(s) {
  return {
    relevant: s.relevant,
    errors: s.errors.map((e) => [e.path, e.code]),
    dropped: s.dropped,
    values: encode(s.values),
    choices: s.choices,
    answers: encode(s.answers),
  };
}

function forms(list) {
  return list.map((f) => {
    const logic = L.form(f.logic, f.definition);
    return f.answers.map((a) => state(logic.check(a, { today: f.today })));
  });
}

function bench(r) {
  let t = process.hrtime.bigint();
  const logic = L.form(r.logic, r.definition);
  const compileMs = Number(process.hrtime.bigint() - t) / 1e6;
  for (let i = 0; i < 20; i++) logic.check(r.answers, { today: r.today }); // warm up
  t = process.hrtime.bigint();
  for (let i = 0; i < r.rounds; i++) logic.check(r.answers, { today: r.today });
  return { compile_ms: compileMs, check_ms: Number(process.hrtime.bigint() - t) / 1e6 / r.rounds };
}

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8'), revive);
  const answer =
    request.mode === 'expressions' ? expressions(request.cases)
      : request.mode === 'forms' ? forms(request.forms)
        : bench(request);
  process.stdout.write(JSON.stringify(answer));
});
