// The chain-rule tab and the check-my-work tab.

import { $, SVG, state, num, sym, api, status } from './core.js';

// ---- the chain-rule tab -------------------------------------------------------------------
export function chainRequest() {
  const definitions = $('definitions').value.split('\n').map((l) => l.trim()).filter(Boolean);
  const at = {};
  for (const item of $('at').value.split(',').map((x) => x.trim()).filter(Boolean)) {
    const [k, v] = item.split('=');
    at[k.trim()] = Number(v);
  }
  return { definitions, wrt: $('wrt').value.trim(), at };
}

export async function computeChain() {
  const request = chainRequest();
  const [text, json] = await Promise.all([
    api('POST', '/api/chain?format=text', request, { text: true }),
    api('POST', '/api/chain', request),
  ]);
  $('chain-text').textContent = text;
  drawChainGraph(json);
}

// The expression graph: the output on the left, the inputs on the right, each edge labelled
// with its local derivative and (at the point) its value.
export function drawChainGraph(d) {
  const svg = $('chain-graph');
  svg.innerHTML = '';
  const edges = new Map();
  for (const p of d.paths) for (const e of p.edges) edges.set(`${e.from}>${e.to}`, e);
  const depth = { [d.output]: 0 };
  let changed = true;
  while (changed) {
    changed = false;
    for (const e of edges.values()) {
      const want = (depth[e.to] ?? 0) + 1;
      if (depth[e.to] !== undefined && (depth[e.from] ?? -1) < want) { depth[e.from] = want; changed = true; }
    }
  }
  const columns = {};
  for (const [name, k] of Object.entries(depth)) (columns[k] ??= []).push(name);
  const pos = {};
  const W = 170;
  const H = 70;
  let height = 0;
  for (const [k, names] of Object.entries(columns)) {
    names.forEach((n, i) => { pos[n] = { x: 40 + Number(k) * W, y: 40 + i * H }; });
    height = Math.max(height, 40 + names.length * H);
  }
  svg.setAttribute('width', 80 + Object.keys(columns).length * W);
  svg.setAttribute('height', height + 20);
  for (const e of edges.values()) {
    const a = pos[e.to];
    const b = pos[e.from];
    const line = document.createElementNS(SVG, 'line');
    line.setAttribute('x1', a.x); line.setAttribute('y1', a.y); line.setAttribute('x2', b.x); line.setAttribute('y2', b.y);
    line.setAttribute('class', 'edge');
    svg.appendChild(line);
    const label = document.createElementNS(SVG, 'text');
    label.setAttribute('x', (a.x + b.x) / 2);
    label.setAttribute('y', (a.y + b.y) / 2 - 6);
    label.setAttribute('class', 'edge-label');
    label.textContent = `${e.symbol} = ${e.expression.replace(/\*/g, '·')}${e.value !== undefined && e.value !== null ? ` = ${num(e.value)}` : ''}`;
    svg.appendChild(label);
  }
  for (const [name, p] of Object.entries(pos)) {
    const g = document.createElementNS(SVG, 'g');
    const c = document.createElementNS(SVG, 'circle');
    c.setAttribute('cx', p.x); c.setAttribute('cy', p.y); c.setAttribute('r', 18);
    c.setAttribute('class', name === d.output ? 'var out' : name === d.wrt ? 'var wrt' : 'var');
    const t = document.createElementNS(SVG, 'text');
    t.setAttribute('x', p.x); t.setAttribute('y', p.y + 5); t.setAttribute('class', 'var-label');
    t.textContent = name;
    g.append(c, t);
    svg.appendChild(g);
  }
}

// ---- the check tab ------------------------------------------------------------------------
// The most weights the tab offers boxes for: past it, a hand calculation is not what to ask.
const HAND_SIZED = 12;

export async function fillAnswers() {
  const example = await api('GET', `/api/sessions/${state.id}/example?shown=0`);
  state.checkNetwork = example.network;
  const net = example.network;
  const layers = state.snapshot.network.layers;
  const weights = layers.flatMap((l) => l.units.flatMap((u) => u.weights));
  const exercise = state.setup.exercise;
  $('check-title').textContent = exercise ? `Exercise ${exercise}: one step by hand` : 'Your numbers for the current network';
  // What the hand calculation starts from: the example, every weight and bias, η, the loss.
  const given = [
    ...net.inputs.map((x, i) => [`x${i + 1}`, x]),
    ...(Array.isArray(net.targets) ? net.targets.map((t, k) => [`T${k + 1}`, t]) : [['class', net.targets]]),
    ...layers.flatMap((l) => l.units.flatMap((u) => [...u.weights.map((w) => [w.name, w.value]), [u.bias.name, u.bias.value]])),
    ['η', net.learning_rate],
  ];
  $('givens').innerHTML = '';
  for (const [name, value] of given) {
    const item = document.createElement('span');
    item.dataset.testid = `given-${name}`;
    item.textContent = `${name} = ${num(value)}`;
    $('givens').appendChild(item);
  }
  $('givens-loss').textContent = `E = ${net.loss === 'half-sse' ? 'Σ ½(T − out)²' : net.loss}; ${net.update_biases ? 'the biases learn too' : 'the biases stay fixed'}; w ← w − η·∂E/∂w`;
  const box = $('answers');
  box.innerHTML = '';
  const tooBig = weights.length > HAND_SIZED;
  $('too-big').hidden = !tooBig;
  $('too-big').textContent = tooBig
    ? `This network has ${weights.length} weights: a hand calculation is the lecture's 2-2-2 network (8 weights). Pick the lecture preset, or open an exercise sheet (#exercise=1, or any number), then come back.`
    : '';
  if (tooBig) return;
  const s = example.explain.steps[0];
  // Fixed biases have nothing to compute: their boxes are left out.
  const params = Object.keys(s.gradients).filter((p) => net.update_biases || !p.startsWith('b'));
  const symbols = [...s.forward.flatMap((u) => [u.name, `out_${u.name}`]), 'E', ...params.map((p) => `dE/d${p}`), ...params.map((p) => `${p}+`), 'E+'];
  for (const symbol of symbols) {
    const label = document.createElement('label');
    label.innerHTML = `<span>${sym(symbol)}</span>`;
    const input = document.createElement('input');
    input.dataset.symbol = symbol;
    input.dataset.testid = `answer-${symbol}`;
    input.inputMode = 'decimal';
    label.appendChild(input);
    box.appendChild(label);
  }
}

export async function checkNetwork() {
  if (!state.checkNetwork) await fillAnswers();
  const answers = {};
  for (const input of $('answers').querySelectorAll('input')) {
    if (input.value.trim() !== '') answers[input.dataset.symbol] = input.value.trim();
  }
  if (!Object.keys(answers).length) throw new Error('write at least one number to check');
  $('check-network-out').textContent = await api('POST', '/api/check?format=text', { network: state.checkNetwork, answers }, { text: true });
  status('');
}

export async function checkExpression() {
  const request = { ...chainRequest(), answer: $('answer').value.trim() };
  $('check-expression-out').textContent = await api('POST', '/api/check?format=text', request, { text: true });
  status('');
}
