// The playground page. It draws what the server computes and sends back what the learner
// changes; it does no arithmetic on the network's numbers (every loss, gradient, chain and
// update comes from /api). Layout: state and the API, the setup ⇄ controls ⇄ URL, drawing
// (network, heat maps, points, chart), the chain panel, backprop mode, the two other tabs.
'use strict';

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';

const state = {
  vocabulary: null,   // the server's names for data sets, features, activations, losses
  setup: null,        // the session's setup, as the server holds it
  id: null,           // the session's id
  snapshot: null,     // the latest snapshot
  playing: false,
  selected: null,     // the clicked parameter's name
  shown: 0,           // which example of the batch the chain and backprop mode show
  backprop: null,     // {example, phase} in backprop mode
  busy: false,
};

// ---- numbers as the CLI prints them (rounded for display only) ----------------------------
function num(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return String(x);
  const s = x.toFixed(9).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}
const short = (x) => (Math.abs(x) >= 100 ? x.toFixed(1) : Number(x.toPrecision(3)).toString());
const pct = (x) => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)} %`);
// explain's symbols (dE/dout_H1) in the page's notation (∂E/∂out_H1)
const sym = (s) => s.replace(/(^|[^A-Za-z])d(?=[A-Za-z])/g, '$1∂').replace(/\*/g, '·');

// ---- the API ------------------------------------------------------------------------------
async function api(method, path, body, { text = false } = {}) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['content-type'] = typeof body === 'string' ? 'text/csv' : 'application/json';
  }
  const response = await fetch(path, init);
  if (!response.ok) {
    let message = `${response.status}`;
    try { message = (await response.json()).error; } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  if (response.status === 204) return null;
  return text ? response.text() : response.json();
}

function status(message, error = false) {
  const el = $('status');
  el.textContent = message;
  el.classList.toggle('error', error);
}

async function guarded(work) {
  try {
    await work();
  } catch (e) {
    status(e.message, true);
    if (/no session/.test(e.message)) await createSession(state.setup);
  }
}

// ---- setup ⇄ URL --------------------------------------------------------------------------
const LIST_FIELDS = ['features', 'hidden'];
const NUMBER_FIELDS = ['classes', 'noise', 'train_percent', 'seed', 'learning_rate', 'regularization_rate', 'batch_size'];

function setupFromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.get('preset') === 'lecture' && [...params.keys()].length === 1) return { ...state.vocabulary.lecture };
  const setup = {};
  for (const [k, v] of params) {
    if (k === 'preset') continue;
    if (LIST_FIELDS.includes(k)) setup[k] = v === '' ? [] : v.split(',').map((x) => (k === 'hidden' ? Number(x) : x));
    else if (NUMBER_FIELDS.includes(k)) setup[k] = Number(v);
    else if (k === 'update_biases') setup[k] = v === 'true';
    else setup[k] = v;
  }
  return setup;
}

function writeHash() {
  const s = state.setup;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(s)) {
    if (v === null) continue;
    params.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  history.replaceState(null, '', `#${params}`);
}

// ---- sessions -----------------------------------------------------------------------------
async function createSession(setup) {
  const created = await api('POST', '/api/sessions', setup);
  state.id = created.id;
  state.selected = null;
  receive(created.snapshot);
}

async function changeSetup(change) {
  const setup = { ...state.setup, ...change };
  await guarded(async () => {
    receive(await api('PUT', sessionPath('/setup'), setup));
    status('');
  });
}

function receive(snapshot) {
  if (snapshot.points) {
    state.points = snapshot.points;
    state.dataVersion = snapshot.data_version;
  }
  state.snapshot = snapshot;
  state.setup = snapshot.setup;
  writeHash();
  render();
}

// ---- controls -----------------------------------------------------------------------------
function fillSelect(el, names, labels = names) {
  el.innerHTML = '';
  names.forEach((n, i) => {
    const o = document.createElement('option');
    o.value = n;
    o.textContent = labels[i];
    el.appendChild(o);
  });
}

function showControls() {
  const s = state.setup;
  const v = state.vocabulary;
  // Only when the setup or the data changed: rebuilding the selects each frame costs a layout.
  const key = JSON.stringify([s, state.id, state.dataVersion, state.snapshot.classes]);
  if (key === state.controlsKey) return;
  state.controlsKey = key;
  const regression = v.regression_data.includes(s.data) || (s.data === 'upload' && state.snapshot.classes === 0);
  $('problem').value = regression ? 'regression' : 'classification';
  const sets = v.data.filter((d) => d === s.data || (regression ? v.regression_data.includes(d) : !v.regression_data.includes(d) && d !== 'upload'));
  fillSelect($('dataset'), sets);
  $('dataset').value = s.data;
  $('preset').value = s.data === 'lecture' ? 'lecture' : 'custom';
  $('activation').value = s.activation;
  $('loss').value = s.loss ?? 'default';
  $('learning_rate').value = s.learning_rate;
  $('regularization').value = s.regularization;
  $('regularization_rate').value = s.regularization_rate;
  for (const [id, out, suffix] of [['classes', 'classes-out', ''], ['train_percent', 'train-out', ' %'], ['noise', 'noise-out', ''], ['batch_size', 'batch-out', '']]) {
    $(id).value = s[id];
    $(out).textContent = s[id] + suffix;
  }
  $('classes-row').hidden = !['gauss', 'spiral'].includes(s.data);
  // The lecture's one example has no split, noise or regeneration.
  for (const id of ['train_percent', 'noise', 'regenerate']) $(id).closest('label, button').hidden = s.data === 'lecture';
  $('update_biases').checked = s.update_biases;
  $('layer-count').textContent = `${s.hidden.length} hidden layer${s.hidden.length === 1 ? '' : 's'}`;
  $('lecture-inputs').hidden = s.data !== 'lecture';
  if (s.data === 'lecture') {
    const p = state.points[0];
    for (const [name, value] of [['x1', p.x[0]], ['x2', p.x[1]], ['T1', p.values[0]], ['T2', p.values[1]]]) {
      const input = document.querySelector(`[data-edit="${name}"]`);
      if (document.activeElement !== input) input.value = value;
    }
  }
  $('data-note').textContent = state.snapshot.note ?? '';
}

function bindControls() {
  const v = state.vocabulary;
  fillSelect($('activation'), v.activations);
  fillSelect($('regularization'), v.regularizations);
  fillSelect($('loss'), ['default', ...v.losses], ['default', ...v.losses]);
  $('play').onclick = () => (state.playing ? pause() : play());
  $('step').onclick = () => guarded(async () => { pause(); await step({ epochs: 1 }); });
  $('reset').onclick = () => guarded(async () => {
    pause();
    receive(await api('POST', sessionPath('/reset')));
  });
  $('preset').onchange = () => guarded(async () => {
    pause();
    await createSession($('preset').value === 'lecture' ? { ...v.lecture } : {});
  });
  $('dataset').onchange = () => changeSetup({ data: $('dataset').value });
  $('problem').onchange = () => changeSetup({ data: $('problem').value === 'regression' ? v.regression_data[0] : 'circle', loss: null });
  $('activation').onchange = () => changeSetup({ activation: $('activation').value });
  $('loss').onchange = () => changeSetup({ loss: $('loss').value === 'default' ? null : $('loss').value });
  $('regularization').onchange = () => changeSetup({ regularization: $('regularization').value });
  for (const id of ['learning_rate', 'regularization_rate']) {
    $(id).onchange = () => changeSetup({ [id]: Number($(id).value) });
  }
  for (const id of ['classes', 'train_percent', 'noise', 'batch_size']) {
    $(id).onchange = () => changeSetup({ [id]: Number($(id).value) });
  }
  $('update_biases').onchange = () => changeSetup({ update_biases: $('update_biases').checked });
  $('regenerate').onclick = () => changeSetup({ seed: state.setup.seed + 1 });
  $('add-layer').onclick = () => {
    if (state.setup.hidden.length < v.max_layers) changeSetup({ hidden: [...state.setup.hidden, 2] });
  };
  $('remove-layer').onclick = () => {
    if (state.setup.hidden.length > 0) changeSetup({ hidden: state.setup.hidden.slice(0, -1) });
  };
  $('upload').onchange = () => guarded(async () => {
    const file = $('upload').files[0];
    if (!file) return;
    receive(await api('POST', sessionPath('/data'), await file.text()));
    status(`${file.name} loaded`);
  });
  document.querySelectorAll('[data-edit]').forEach((input) => {
    input.onchange = () => edit(input.dataset.edit, Number(input.value));
  });
  $('show-test').onchange = () => drawPoints();
  $('backprop-mode').onclick = () => (state.backprop ? leaveBackprop() : enterBackprop());
  $('bp-next').onclick = () => backpropMove(1);
  $('bp-prev').onclick = () => backpropMove(-1);
  $('bp-example').onchange = () => guarded(() => loadBackprop(Number($('bp-example').value)));
  document.querySelectorAll('.tab').forEach((tab) => {
    tab.onclick = () => {
      document.querySelectorAll('.tab, .panel').forEach((el) => el.classList.remove('active'));
      tab.classList.add('active');
      $(tab.dataset.tab).classList.add('active');
      if (tab.dataset.tab === 'check-tab') guarded(fillAnswers);
    };
  });
  $('chain-compute').onclick = () => guarded(computeChain);
  $('check-network').onclick = () => guarded(checkNetwork);
  $('check-expression').onclick = () => guarded(checkExpression);
}

async function edit(name, value) {
  await guarded(async () => {
    receive(await api('POST', sessionPath('/edit'), { name, value }));
    status(`${name} = ${num(value)}`);
  });
}

// ---- training ----------------------------------------------------------------------------
// A session route that answers with a snapshot; the points are left out while ours are current.
const sessionPath = (rest) => `/api/sessions/${state.id}${rest}?known_data=${state.dataVersion ?? ''}`;

async function step(body) {
  receive(await api('POST', sessionPath('/step'), body));
}

// Play: the next epoch is asked for as soon as a snapshot arrives, so the server computes it
// while the page draws this one.
async function play() {
  if (state.backprop) leaveBackprop();
  state.playing = true;
  $('play').textContent = '❚❚';
  $('play').classList.add('playing');
  const next = () => api('POST', sessionPath('/step'), { epochs: 1 });
  let pending = next();
  while (state.playing) {
    let snapshot;
    try {
      snapshot = await pending;
    } catch (e) {
      status(e.message, true);
      pause();
      break;
    }
    pending = state.playing ? next() : null;
    receive(snapshot);
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  if (pending) receive(await pending.catch(() => state.snapshot));
}

function pause() {
  state.playing = false;
  $('play').textContent = '▶';
  $('play').classList.remove('playing');
}

// ---- drawing ------------------------------------------------------------------------------
const BLUE = [8, 119, 189];
const ORANGE = [245, 147, 34];
const CLASS_COLOURS = [[245, 147, 34], [8, 119, 189], [46, 160, 67], [160, 60, 180], [200, 50, 50]];

// A heat map value's colour: white at `mid`, blue above, orange below.
function colour(map, byte) {
  const value = map.lo + (byte / 255) * (map.hi - map.lo);
  const above = value >= map.mid;
  const t = above ? (value - map.mid) / Math.max(map.hi - map.mid, 1e-12) : (map.mid - value) / Math.max(map.mid - map.lo, 1e-12);
  const k = Math.min(1, t) * 0.85;
  return (above ? BLUE : ORANGE).map((x) => Math.round(255 + (x - 255) * k));
}

const pack = ([r, g, b]) => (255 << 24) | (b << 16) | (g << 8) | r; // RGBA bytes, little-endian

function decode(b64) {
  const raw = atob(b64);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

// Paints a heat map: one colour per byte value (a table of 256), or per class and byte.
function paint(canvas, map, winner) {
  const key = `${map.lo} ${map.hi} ${map.mid} ${map.data} ${winner ?? ''}`;
  if (canvas.painted === key) return; // the inputs' maps, for one, never change
  canvas.painted = key;
  if (canvas.width !== map.size) {
    canvas.width = map.size;
    canvas.height = map.size;
  }
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(map.size, map.size);
  const pixels = new Uint32Array(image.data.buffer);
  const bytes = decode(map.data);
  if (winner) {
    const classes = decode(winner);
    const tables = CLASS_COLOURS.map((c) => Uint32Array.from({ length: 256 }, (_, b) => pack(c.map((x) => Math.round(255 + (x - 255) * (0.25 + 0.6 * (b / 255)))))));
    for (let i = 0; i < bytes.length; i++) pixels[i] = tables[classes[i] % tables.length][bytes[i]];
  } else {
    const table = Uint32Array.from({ length: 256 }, (_, b) => pack(colour(map, b)));
    for (let i = 0; i < bytes.length; i++) pixels[i] = table[bytes[i]];
  }
  ctx.putImageData(image, 0, 0);
}

function render() {
  const s = state.snapshot;
  showControls();
  $('epoch').textContent = String(s.epoch);
  $('loss-train').textContent = num(s.loss_train);
  $('loss-test').textContent = num(s.loss_test);
  $('accuracy-row').hidden = s.accuracy_train === null;
  $('accuracy-train').textContent = pct(s.accuracy_train);
  $('accuracy-test').textContent = pct(s.accuracy_test);
  paint($('heatmap'), s.heatmaps.output, s.heatmaps.winner);
  drawPoints();
  drawChart();
  drawNetwork();
  $('output-note').textContent = s.heatmaps.winner
    ? 'Colour: the most likely output; strength: its value.'
    : 'Colour: the output (blue high, orange low, white between).';
  if (state.selected && !state.backprop && !state.playing) guarded(() => showChain(state.selected));
}

// The points change only with the data: redrawn when they differ from the last drawing.
function drawPoints() {
  const s = state.snapshot;
  const showTest = $('show-test').checked;
  const points = state.points;
  const key = JSON.stringify([state.id, state.dataVersion, showTest]);
  if (key === state.pointsKey) return;
  state.pointsKey = key;
  const svg = $('points');
  svg.innerHTML = '';
  const e = s.heatmaps.extent;
  const at = (x) => ((x + e) / (2 * e)) * 300;
  for (const p of points) {
    if (!p.train && !showTest) continue;
    const c = document.createElementNS(SVG, 'circle');
    c.setAttribute('cx', at(p.x[0]));
    c.setAttribute('cy', 300 - at(p.x[1]));
    c.setAttribute('r', points.length < 5 ? 6 : 3);
    let rgb;
    if (p.class !== undefined) {
      rgb = s.classes > 2 ? CLASS_COLOURS[p.class % CLASS_COLOURS.length] : (p.class === 1 ? BLUE : ORANGE);
    } else {
      rgb = colour({ lo: -1, hi: 1, mid: 0 }, Math.round(((Math.max(-1, Math.min(1, p.values[0])) + 1) / 2) * 255));
    }
    c.setAttribute('fill', `rgb(${rgb})`);
    c.setAttribute('stroke', p.train ? 'white' : 'black');
    c.setAttribute('stroke-width', '1');
    svg.appendChild(c);
  }
}

function drawChart() {
  const canvas = $('chart');
  const ctx = canvas.getContext('2d');
  const h = state.snapshot.history;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (h.length < 2) return;
  const values = h.flatMap((r) => [r[1], r[2]]).filter(Number.isFinite);
  const top = Math.max(...values, 1e-12);
  const last = h[h.length - 1][0] || 1;
  for (const [k, colourName] of [[1, '#333'], [2, '#999']]) {
    ctx.strokeStyle = colourName;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    h.forEach((r, i) => {
      const x = (r[0] / last) * (canvas.width - 4) + 2;
      const y = canvas.height - 2 - (r[k] / top) * (canvas.height - 6);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
}

// The network: input features (each a toggle), hidden layers (with +/− units), outputs;
// units as small heat maps, weights as lines (blue positive, orange negative, width |w|).
// Built when its shape changes; each snapshot then only recolours it.
const NODE = 38;

function drawNetwork() {
  const s = state.snapshot;
  const shape = JSON.stringify([s.network.inputs.map((i) => i.feature), s.network.layers.map((l) => l.units.length)]);
  if (state.drawing?.shape !== shape) buildNetwork(shape);
  const d = state.drawing;
  const highlight = state.highlight ?? { params: [], units: [] };
  for (const layer of s.network.layers) {
    for (const unit of layer.units) {
      for (const w of unit.weights) {
        const edge = d.edges[w.name];
        const look = [
          `weight${highlight.params.includes(w.name) ? ' lit' : ''}${state.selected === w.name ? ' selected' : ''}`,
          `rgb(${w.value >= 0 ? BLUE : ORANGE})`,
          Math.min(8, 0.6 + 3 * Math.abs(w.value)).toFixed(1),
        ];
        // Only what changed is written: most frames move few widths by a visible step.
        ['class', 'stroke', 'stroke-width'].forEach((attribute, k) => {
          if (edge.look[k] !== look[k]) edge.path.setAttribute(attribute, look[k]);
        });
        edge.look = look;
      }
      const u = d.units[unit.name];
      paint(u.canvas, s.heatmaps.units[unit.name]);
      u.bias.style.background = `rgb(${unit.bias.value >= 0 ? BLUE : ORANGE})`;
      u.bias.classList.toggle('selected', state.selected === unit.bias.name);
    }
  }
  for (const input of s.network.inputs) paint(d.units[input.name].canvas, s.heatmaps.units[input.name]);
  for (const [name, u] of Object.entries(d.units)) u.node.classList.toggle('lit', highlight.units.includes(name));
  d.box.querySelectorAll('.bp-tag').forEach((el) => el.remove());
  if (state.backprop) drawBackpropNumbers(d.box, d.place);
}

// The current value of a parameter, by name (for tooltips).
function paramValue(name) {
  for (const layer of state.snapshot.network.layers) {
    for (const unit of layer.units) {
      if (unit.bias.name === name) return unit.bias.value;
      const w = unit.weights.find((x) => x.name === name);
      if (w) return w.value;
    }
  }
  return NaN;
}

function buildNetwork(shape) {
  const s = state.snapshot;
  const v = state.vocabulary;
  const box = $('network');
  box.innerHTML = '';
  const d = { shape, box, edges: {}, units: {}, place: {} };
  state.drawing = d;
  // Every feature is offered (a toggle), but the lecture's network shows just its inputs.
  const offered = s.setup.data === 'lecture' ? v.features.filter((f) => s.setup.features.includes(f.name)) : v.features;
  const columns = [offered.map((f) => ({ feature: f.name, label: f.label }))];
  s.network.layers.forEach((layer) => columns.push(layer.units));
  const tallest = Math.max(...columns.map((c) => c.length));
  // Small networks get room for the numbers backprop mode writes beside each unit.
  const GAP_X = Math.max(120, Math.min(240, 640 / (columns.length - 1)));
  const GAP_Y = tallest <= 3 ? 100 : 50;
  const height = tallest * GAP_Y + 40;
  const width = (columns.length - 1) * GAP_X + NODE + 150;
  box.style.height = `${height}px`;
  box.style.width = `${width}px`;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  box.appendChild(svg);
  const inputs = Object.fromEntries(s.network.inputs.map((i) => [i.feature, i]));
  columns.forEach((column, c) => {
    const top = 30 + ((tallest - column.length) * GAP_Y) / 2;
    column.forEach((unit, j) => {
      const x = 50 + c * GAP_X;
      const y = top + j * GAP_Y;
      if (c === 0) {
        const input = inputs[unit.feature];
        const node = featureNode(unit, input, x, y);
        if (input) {
          d.place[input.name] = { x, y };
          d.units[input.name] = { node, canvas: node.querySelector('canvas') };
        }
        box.appendChild(node);
      } else {
        d.place[unit.name] = { x, y };
        const node = unitNode(unit, x, y, c === columns.length - 1);
        d.units[unit.name] = { node, canvas: node.querySelector('canvas'), bias: node.querySelector('.bias') };
        box.appendChild(node);
      }
    });
    if (c > 0 && c < columns.length - 1) box.appendChild(unitButtons(c - 1, 50 + c * GAP_X, 6));
  });
  const sourceName = (l, i) => (l === 0 ? s.network.inputs[i].name : s.network.layers[l - 1].units[i].name);
  s.network.layers.forEach((layer, l) => layer.units.forEach((unit) => unit.weights.forEach((w, i) => {
    const from = d.place[sourceName(l, i)];
    const to = d.place[unit.name];
    const [x1, y1, x2, y2] = [from.x + NODE, from.y + NODE / 2, to.x, to.y + NODE / 2];
    const line = `M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}`;
    const tip = () => `${w.name} = ${num(paramValue(w.name))}  (${sourceName(l, i)} → ${unit.name})`;
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', line);
    path.dataset.testid = `weight-${w.name}`;
    path.dataset.param = w.name;
    svg.appendChild(path);
    d.edges[w.name] = { path, look: [] };
    const hit = document.createElementNS(SVG, 'path');
    hit.setAttribute('d', line);
    hit.setAttribute('class', 'weight-hit');
    hoverable(hit, tip);
    hit.onclick = () => select(w.name);
    path.onclick = () => select(w.name);
    svg.appendChild(hit);
  })));
}

function featureNode(f, input, x, y) {
  const node = document.createElement('div');
  node.className = `node input${input ? '' : ' off'}`;
  node.style.left = `${x}px`;
  node.style.top = `${y}px`;
  node.dataset.testid = `feature-${f.feature}`;
  node.title = input ? `${f.label}: the network's input ${input.name} (click to leave it out)` : `${f.label} (click to use it)`;
  if (input) {
    node.dataset.unit = input.name;
    node.appendChild(document.createElement('canvas'));
  }
  const label = document.createElement('span');
  label.className = 'label left';
  label.textContent = f.label;
  node.appendChild(label);
  if (input && f.feature !== input.name) {
    const symbol = document.createElement('span');
    symbol.className = 'symbol';
    symbol.textContent = input.name;
    node.appendChild(symbol);
  }
  node.onclick = () => {
    const features = state.setup.features.includes(f.feature)
      ? state.setup.features.filter((x) => x !== f.feature)
      : state.vocabulary.features.map((x) => x.name).filter((x) => x === f.feature || state.setup.features.includes(x));
    if (features.length) changeSetup({ features });
  };
  return node;
}

function unitNode(unit, x, y, output) {
  const node = document.createElement('div');
  node.className = `node${output ? ' out' : ''}`;
  node.style.left = `${x}px`;
  node.style.top = `${y}px`;
  node.dataset.unit = unit.name;
  node.dataset.testid = `unit-${unit.name}`;
  node.appendChild(document.createElement('canvas'));
  const label = document.createElement('span');
  label.className = 'label';
  label.textContent = unit.name;
  node.appendChild(label);
  const bias = document.createElement('div');
  bias.className = 'bias';
  bias.dataset.testid = `bias-${unit.bias.name}`;
  bias.dataset.param = unit.bias.name;
  hoverable(bias, () => `${unit.bias.name} = ${num(paramValue(unit.bias.name))}  (bias of ${unit.name})`);
  bias.onclick = (e) => { e.stopPropagation(); select(unit.bias.name); };
  node.appendChild(bias);
  return node;
}

function unitButtons(layer, x, y) {
  const div = document.createElement('div');
  div.className = 'unit-buttons';
  div.style.left = `${x - 4}px`;
  div.style.top = `${y}px`;
  for (const [text, change, id] of [['+', 1, 'add'], ['−', -1, 'remove']]) {
    const b = document.createElement('button');
    b.textContent = text;
    b.dataset.testid = `${id}-unit-${layer + 1}`;
    b.title = `${text === '+' ? 'Add a unit to' : 'Remove a unit from'} hidden layer ${layer + 1}`;
    b.onclick = () => {
      const n = state.setup.hidden[layer] + change;
      if (n >= 1 && n <= state.vocabulary.max_units) {
        const hidden = [...state.setup.hidden];
        hidden[layer] = n;
        changeSetup({ hidden });
      }
    };
    div.appendChild(b);
  }
  return div;
}

function hoverable(el, text) {
  el.addEventListener('mousemove', (e) => {
    const tip = $('tooltip');
    tip.textContent = text();
    tip.hidden = false;
    tip.style.left = `${e.pageX + 12}px`;
    tip.style.top = `${e.pageY + 12}px`;
  });
  el.addEventListener('mouseleave', () => { $('tooltip').hidden = true; });
}

// ---- the chain panel ----------------------------------------------------------------------
async function select(name) {
  if (state.backprop) return;
  pause();
  state.selected = name;
  await guarded(() => showChain(name));
}

async function showChain(name) {
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
  h('div', g.learns
    ? `${g.name}⁺ = ${g.name} − η · ∂E/∂${g.name} = ${num(g.value)} − ${num(g.learning_rate)} · ${num(g.gradient)} = ${num(g.updated)}`
    : `${g.name} stays ${num(g.value)}: biases are fixed (tick “biases learn” to train them)`, 'formula update');
  const button = h('button', 'Show the derivation');
  button.dataset.testid = 'show-derivation';
  button.onclick = () => guarded(showDerivation);
  drawNetwork();
}

async function showDerivation() {
  const example = await api('GET', `/api/sessions/${state.id}/example?shown=${state.shown}`);
  const text = await api('POST', '/api/explain?format=text', example.network, { text: true });
  const pre = $('derivation');
  pre.hidden = false;
  pre.textContent = text;
}

// ---- backprop mode ------------------------------------------------------------------------
// Phases: 0 the inputs; 1…L each layer's forward values; L+1…2L each layer's ∂E/∂net, from
// the output back; 2L+1 the updates. "next" on the last phase applies the step.
async function enterBackprop() {
  pause();
  state.selected = null;
  state.highlight = null;
  await guarded(() => loadBackprop(0));
}

async function loadBackprop(shown) {
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

function leaveBackprop() {
  state.backprop = null;
  $('backprop-bar').hidden = true;
  $('bp-updates').hidden = true;
  $('backprop-mode').classList.remove('on');
  drawNetwork();
}

async function backpropMove(delta) {
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

function showPhase() {
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
  } else text = `The updates, w⁺ = w − η·∂E/∂w over the batch: E of the batch goes ${num(bp.example.batch_loss)} → ${num(bp.example.batch_loss_after)}. Next applies them.`;
  $('bp-phase').textContent = text;
  drawNetwork();
}

function drawBackpropNumbers(box, place) {
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

// ---- the chain-rule tab -------------------------------------------------------------------
function chainRequest() {
  const definitions = $('definitions').value.split('\n').map((l) => l.trim()).filter(Boolean);
  const at = {};
  for (const item of $('at').value.split(',').map((x) => x.trim()).filter(Boolean)) {
    const [k, v] = item.split('=');
    at[k.trim()] = Number(v);
  }
  return { definitions, wrt: $('wrt').value.trim(), at };
}

async function computeChain() {
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
function drawChainGraph(d) {
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
async function fillAnswers() {
  const example = await api('GET', `/api/sessions/${state.id}/example?shown=0`);
  state.checkNetwork = example.network;
  const box = $('answers');
  box.innerHTML = '';
  const s = example.explain.steps[0];
  const symbols = [...s.forward.flatMap((u) => [u.name, `out_${u.name}`]), 'E', ...Object.keys(s.gradients).map((p) => `dE/d${p}`), ...Object.keys(s.updated).map((p) => `${p}+`), 'E+'];
  for (const symbol of symbols.slice(0, 80)) {
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

async function checkNetwork() {
  if (!state.checkNetwork) await fillAnswers();
  const answers = {};
  for (const input of $('answers').querySelectorAll('input')) {
    if (input.value.trim() !== '') answers[input.dataset.symbol] = input.value.trim();
  }
  if (!Object.keys(answers).length) throw new Error('write at least one number to check');
  $('check-network-out').textContent = await api('POST', '/api/check?format=text', { network: state.checkNetwork, answers }, { text: true });
  status('');
}

async function checkExpression() {
  const request = { ...chainRequest(), answer: $('answer').value.trim() };
  $('check-expression-out').textContent = await api('POST', '/api/check?format=text', request, { text: true });
  status('');
}

// ---- start --------------------------------------------------------------------------------
async function start() {
  state.vocabulary = await api('GET', '/api/vocabulary');
  fillSelect($('dataset'), state.vocabulary.data);
  bindControls();
  await guarded(() => createSession(setupFromHash()));
  if (!state.id) await createSession({});
  await guarded(computeChain);
}

start();
