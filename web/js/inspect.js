// A parameter's chain of factors (the chain panel), and backprop mode.

import { $, state, num, sym, api, guarded } from './core.js';
import { edit, step, pause } from './controls.js';
import { NODE, drawNetwork } from './draw.js';

// ---- the chain panel ----------------------------------------------------------------------
export async function select(name) {
  if (state.backprop) return;
  pause();
  state.selected = name;
  await guarded(() => showChain(name));
}

export async function showChain(name) {
  const g = await api('GET', `/api/sessions/${state.id}/gradient/${encodeURIComponent(name)}?shown=${state.shown}`);
  state.highlight = g.highlight;
  const panel = $('chain');
  panel.innerHTML = '';
  const h = (tag, text, cls) => {
    const el = document.createElement(tag);
    if (text !== undefined) el.textContent = text;
    if (cls) el.className = cls;
    panel.appendChild(el);
    return el;
  };
  const head = h('div', undefined, 'chain-head');
  head.innerHTML = `<b>${g.name}</b> = `;
  const input = document.createElement('input');
  input.type = 'number';
  input.step = 'any';
  input.value = g.value;
  input.dataset.testid = 'edit-value';
  input.title = 'Type a new value and press Enter';
  input.onchange = () => edit(g.name, Number(input.value));
  head.appendChild(input);
  head.appendChild(document.createTextNode(` feeds ${g.unit}; ∂${g.unit}/∂${g.name} = ${g.source}`));
  const batch = g.chains.length;
  const chain = g.chains[g.shown];
  const symbols = chain.factors.map((f) => sym(f.symbol));
  const values = chain.factors.map((f) => num(f.value));
  const example = batch > 1 ? ` (example ${g.shown + 1} of the batch's ${batch})` : '';
  h('div', `∂E/∂${g.name}${example} = ${symbols.join(' · ')}`, 'formula');
  const numbers = h('div', undefined, 'formula numbers');
  numbers.dataset.testid = 'chain-numbers';
  chain.factors.forEach((f, i) => {
    if (i) numbers.appendChild(document.createTextNode(' · '));
    const span = document.createElement('span');
    span.className = 'factor';
    span.dataset.testid = `factor-${i}`;
    span.title = sym(f.symbol);
    span.textContent = num(f.value);
    numbers.appendChild(span);
  });
  numbers.insertBefore(document.createTextNode('= '), numbers.firstChild);
  const product = document.createElement('b');
  product.dataset.testid = 'chain-product';
  product.textContent = num(chain.product);
  numbers.appendChild(document.createTextNode(' = '));
  numbers.appendChild(product);
  if (g.path_sum) {
    const p = g.path_sum;
    const terms = p.terms.map(([next, , w]) => `∂E/∂${next} · ${w}`).join(' + ');
    const nums = p.terms.map(([, delta, , wv]) => `${num(delta)} · ${num(wv)}`).join(' + ');
    h('div', `∂E/∂${p.unit} = ${terms} = ${nums} = ${num(p.total)}   (the sum over the paths from ${p.unit})`, 'formula path');
  }
  if (batch > 1) {
    const list = h('details', undefined, 'examples');
    list.innerHTML = `<summary>every example of the batch (${batch})</summary>`;
    g.chains.forEach((c, k) => {
      const row = document.createElement('div');
      row.className = `example${k === g.shown ? ' shown' : ''}`;
      row.textContent = `#${c.example + 1}: ${c.factors.map((f) => num(f.value)).join(' · ')} = ${num(c.product)}`;
      row.onclick = () => { state.shown = k; guarded(() => showChain(name)); };
      list.appendChild(row);
    });
    h('div', `batch: ∂E/∂${g.name} = (1/${batch}) · Σ = ${num(g.mean)}`, 'formula');
  }
  if (g.penalty) {
    h('div', `+ regularization ${g.penalty.regularization} (λ = ${num(g.penalty.rate)}): ${num(g.penalty.term)}`, 'formula');
  }
  const total = h('div', `∂E/∂${g.name} = ${num(g.gradient)}`, 'formula total');
  total.dataset.testid = 'chain-gradient';
  if (!g.learns) {
    h('div', `${g.name} stays ${num(g.value)}: biases are fixed (tick “biases learn” to train them)`, 'formula update');
  } else if (g.update.every((t) => ['η', 'w', '∂E/∂w', 'g', 'w⁺'].includes(t.symbol))) {
    // Plain SGD, the lecture's rule, on one line.
    h('div', `${g.name}⁺ = ${g.name} − η · ∂E/∂${g.name} = ${num(g.value)} − ${num(g.learning_rate)} · ${num(g.gradient)} = ${num(g.updated)}`, 'formula update');
  } else {
    // Every quantity of the optimiser's update, as the server computed it.
    const table = h('div', undefined, 'update-terms');
    table.dataset.testid = 'update-terms';
    const given = g.update.filter((t) => !t.formula).map((t) => `${t.symbol} = ${num(t.value)}`).join(',  ');
    const line = document.createElement('div');
    line.className = 'formula';
    line.textContent = `${g.optimizer}: ${given}`;
    table.appendChild(line);
    for (const t of g.update.filter((t) => t.formula)) {
      const row = document.createElement('div');
      row.className = `formula${t.symbol === 'w⁺' ? ' update' : ''}`;
      const symbol = t.symbol === 'w⁺' ? `${g.name}⁺` : t.symbol;
      row.textContent = `${symbol} = ${t.formula} = ${num(t.value)}`;
      table.appendChild(row);
    }
  }
  const button = h('button', 'Show the derivation');
  button.dataset.testid = 'show-derivation';
  button.onclick = () => guarded(showDerivation);
  drawNetwork();
}

export async function showDerivation() {
  const example = await api('GET', `/api/sessions/${state.id}/example?shown=${state.shown}`);
  const text = await api('POST', '/api/explain?format=text', example.network, { text: true });
  const pre = $('derivation');
  pre.hidden = false;
  pre.textContent = text;
}

// ---- backprop mode ------------------------------------------------------------------------
// Phases: 0 the inputs; 1…L each layer's forward values; L+1…2L each layer's ∂E/∂net, from
// the output back; 2L+1 the updates. "next" on the last phase applies the step.
export async function enterBackprop() {
  pause();
  state.selected = null;
  state.highlight = null;
  await guarded(() => loadBackprop(0));
}

export async function loadBackprop(shown) {
  const example = await api('GET', `/api/sessions/${state.id}/example?shown=${shown}`);
  state.backprop = { example, phase: state.backprop?.phase ?? 0, shown };
  $('backprop-bar').hidden = false;
  $('backprop-mode').classList.add('on');
  const select = $('bp-example');
  select.innerHTML = '';
  for (let i = example.batch[0]; i < example.batch[1]; i++) {
    const o = document.createElement('option');
    o.value = i - example.batch[0];
    o.textContent = `#${i + 1}`;
    select.appendChild(o);
  }
  select.value = shown;
  showPhase();
}

export function leaveBackprop() {
  state.backprop = null;
  $('backprop-bar').hidden = true;
  $('bp-updates').hidden = true;
  $('backprop-mode').classList.remove('on');
  drawNetwork();
}

export async function backpropMove(delta) {
  const bp = state.backprop;
  const layers = state.snapshot.network.layers.length;
  const last = 2 * layers + 1;
  if (bp.phase + delta > last) {
    await guarded(async () => {
      await step({ updates: 1 });
      bp.phase = 0;
      await loadBackprop(bp.shown);
    });
    return;
  }
  bp.phase = Math.max(0, bp.phase + delta);
  showPhase();
}

export function showPhase() {
  const bp = state.backprop;
  const layers = state.snapshot.network.layers.length;
  const step0 = bp.example.explain.steps[0];
  const names = state.snapshot.network.layers.map((l) => l.units.map((u) => u.name));
  let text;
  if (bp.phase === 0) text = `The inputs of example #${bp.example.example + 1}: ${bp.example.network.inputs.map((x, i) => `x${i + 1} = ${num(x)}`).join(', ')}. Targets ${bp.example.network.targets.map(num).join(', ')}.`;
  else if (bp.phase <= layers) text = `Forward, layer ${bp.phase}: net = Σ w·input + b, out = f(net) for ${names[bp.phase - 1].join(', ')}.`;
  else if (bp.phase <= 2 * layers) {
    const l = 2 * layers - bp.phase;
    text = `Backward, layer ${l + 1}: ∂E/∂net for ${names[l].join(', ')}${l === layers - 1 ? ` (E = ${num(step0.loss)})` : ' = (Σ over paths of ∂E/∂net · w) · f′(net)'}.`;
  } else {
    const s = state.setup;
    const rule = s.optimizer === 'sgd' && !s.momentum ? 'w⁺ = w − η·∂E/∂w' : `${s.optimizer}'s step (click a weight to see it written out)`;
    text = `The updates, ${rule} over the batch: E of the batch goes ${num(bp.example.batch_loss)} → ${num(bp.example.batch_loss_after)}. Next applies them.`;
  }
  $('bp-phase').textContent = text;
  drawNetwork();
}

export function drawBackpropNumbers(box, place) {
  const bp = state.backprop;
  const layers = state.snapshot.network.layers;
  const step0 = bp.example.explain.steps[0];
  const forward = Object.fromEntries(step0.forward.map((u) => [u.name, u]));
  const tag = (x, y, lines, cls) => {
    const div = document.createElement('div');
    div.className = `bp-tag ${cls}`;
    div.style.left = `${x}px`;
    div.style.top = `${y}px`;
    div.innerHTML = lines.join('<br>');
    box.appendChild(div);
    return div;
  };
  bp.example.network.inputs.forEach((x, i) => {
    const p = place[`x${i + 1}`];
    if (p) tag(p.x - 4, p.y + NODE + 2, [`x${i + 1} = ${num(x)}`], 'fwd').dataset.testid = `bp-x${i + 1}`;
  });
  layers.forEach((layer, l) => {
    layer.units.forEach((u) => {
      const p = place[u.name];
      const lines = [];
      if (bp.phase >= l + 1) lines.push(`net ${num(forward[u.name].net)}`, `out ${num(forward[u.name].out)}`);
      if (bp.phase >= 2 * layers.length - l) lines.push(`<span class="delta">∂E/∂net ${num(bp.example.deltas[u.name])}</span>`);
      if (lines.length) tag(p.x + NODE + 4, p.y - 4, lines, 'fwd').dataset.testid = `bp-${u.name}`;
    });
  });
  // The updated parameters as a list under the drawing (labels on the lines would collide).
  const list = $('bp-updates');
  const entries = Object.entries(bp.example.updated);
  list.hidden = bp.phase !== 2 * layers.length + 1;
  list.textContent = entries.slice(0, 60).map(([name, value]) => `${name}⁺ = ${num(value)}`).join('   ')
    + (entries.length > 60 ? `   … and ${entries.length - 60} more` : '');
}
