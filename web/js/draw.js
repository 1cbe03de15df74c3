// Drawing a snapshot: heat maps, the points, the loss chart, the network.

import { $, SVG, state, num, pct, guarded } from './core.js';
import { changeSetup, showControls, step } from './controls.js';
import { select, showChain, drawBackpropNumbers } from './inspect.js';

// ---- drawing ------------------------------------------------------------------------------
export const BLUE = [8, 119, 189];
export const ORANGE = [245, 147, 34];
export const CLASS_COLOURS = [[245, 147, 34], [8, 119, 189], [46, 160, 67], [160, 60, 180], [200, 50, 50]];

// A heat map value's colour: white at `mid`, blue above, orange below.
export function colour(map, byte) {
  const value = map.lo + (byte / 255) * (map.hi - map.lo);
  const above = value >= map.mid;
  const t = above ? (value - map.mid) / Math.max(map.hi - map.mid, 1e-12) : (map.mid - value) / Math.max(map.mid - map.lo, 1e-12);
  const k = Math.min(1, t) * 0.85;
  return (above ? BLUE : ORANGE).map((x) => Math.round(255 + (x - 255) * k));
}

export const pack = ([r, g, b]) => (255 << 24) | (b << 16) | (g << 8) | r; // RGBA bytes, little-endian

export function decode(b64) {
  const raw = atob(b64);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

// Paints a heat map: one colour per byte value (a table of 256), or per class and byte.
export function paint(canvas, map, winner) {
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

export function render() {
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
export function drawPoints() {
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

export function drawChart() {
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
export const NODE = 38;

export function drawNetwork() {
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
export function paramValue(name) {
  for (const layer of state.snapshot.network.layers) {
    for (const unit of layer.units) {
      if (unit.bias.name === name) return unit.bias.value;
      const w = unit.weights.find((x) => x.name === name);
      if (w) return w.value;
    }
  }
  return NaN;
}

export function buildNetwork(shape) {
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
  const GAP_Y = tallest <= 3 ? 100 : 56; // a unit, its name under it, and a gap
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

export function featureNode(f, input, x, y) {
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

export function unitNode(unit, x, y, output) {
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

export function unitButtons(layer, x, y) {
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

export function hoverable(el, text) {
  el.addEventListener('mousemove', (e) => {
    const tip = $('tooltip');
    tip.textContent = text();
    tip.hidden = false;
    tip.style.left = `${e.pageX + 12}px`;
    tip.style.top = `${e.pageY + 12}px`;
  });
  el.addEventListener('mouseleave', () => { $('tooltip').hidden = true; });
}
