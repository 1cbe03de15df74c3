// The setup: the URL, the session, the controls, training (play, step).

import { $, state, num, api, status, guarded, lostSession } from './core.js';
import { render, drawPoints } from './draw.js';
import { enterBackprop, loadBackprop, leaveBackprop, backpropMove } from './inspect.js';
import { computeChain, fillAnswers, checkNetwork, checkExpression } from './tabs.js';

// ---- setup ⇄ URL --------------------------------------------------------------------------
export const LIST_FIELDS = ['features', 'hidden'];
export const NUMBER_FIELDS = ['classes', 'noise', 'train_percent', 'seed', 'learning_rate', 'momentum', 'regularization_rate', 'batch_size', 'exercise'];

export function setupFromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.get('preset') === 'lecture' && [...params.keys()].length === 1) return { ...state.vocabulary.lecture };
  // A teacher's link to an exercise sheet: #exercise=7 is the lecture's setup with its numbers.
  if (params.has('exercise') && [...params.keys()].length === 1) return { ...state.vocabulary.lecture, exercise: Number(params.get('exercise')) };
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

export function writeHash() {
  const s = state.setup;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(s)) {
    if (v === null) continue;
    params.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  history.replaceState(null, '', `#${params}`);
}

// ---- sessions -----------------------------------------------------------------------------
export async function createSession(setup) {
  const created = await api('POST', '/api/sessions', setup);
  state.id = created.id;
  state.selected = null;
  receive(created.snapshot);
}

// A new session the learner asked for: nothing of the old one is kept for a recovery.
export async function newSession(setup) {
  state.kept = { upload: null, edits: [], weightsVersion: null };
  await createSession(setup);
}

// The session is gone (the server restarted, or it sat idle past its timeout): a new one from
// the setup in the address, then the uploaded data and the hand edits it had, and a notice.
export async function recoverSession() {
  const { upload, edits } = state.kept;
  const setup = setupFromHash();
  try {
    // Uploaded data comes back by upload; until then the session has a built-in set.
    await createSession(setup.data === 'upload' ? { ...setup, data: 'circle', loss: null } : setup);
    if (upload) {
      receive(await api('POST', sessionPath('/data'), upload.text));
      receive(await api('PUT', sessionPath('/setup'), { ...state.setup, ...setup }));
    }
    for (const e of edits) receive(await api('POST', sessionPath('/edit'), e));
    state.kept = { upload, edits, weightsVersion: state.snapshot.weights_version };
  } catch (e) {
    status(`this page's session was gone, and making a new one failed: ${e.message}`, true);
    return;
  }
  const restored = [upload && `your data (${upload.name})`, edits.length && `your ${edits.length} hand edit${edits.length === 1 ? '' : 's'}`].filter(Boolean);
  status(`This page's session was gone (the server restarted, or it sat idle too long): a new one was made from the setup in the address${restored.length ? `, with ${restored.join(' and ')}` : ''}. Training starts again from epoch 0.`, false, true);
}

export async function changeSetup(change) {
  const setup = { ...state.setup, ...change };
  await guarded(async () => {
    receive(await api('PUT', sessionPath('/setup'), setup));
    status('');
  });
}

export function receive(snapshot) {
  if (snapshot.weights_version !== state.kept.weightsVersion) {
    // The weights started afresh: earlier edits no longer apply.
    state.kept.edits = [];
    state.kept.weightsVersion = snapshot.weights_version;
  }
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
export function fillSelect(el, names, labels = names) {
  el.innerHTML = '';
  names.forEach((n, i) => {
    const o = document.createElement('option');
    o.value = n;
    o.textContent = labels[i];
    el.appendChild(o);
  });
}

export function showControls() {
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
  $('optimizer').value = s.optimizer;
  $('momentum').value = s.momentum;
  $('momentum-row').hidden = !['sgd', 'nesterov'].includes(s.optimizer);
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

export function bindControls() {
  const v = state.vocabulary;
  fillSelect($('activation'), v.activations);
  fillSelect($('regularization'), v.regularizations);
  fillSelect($('optimizer'), v.optimizers);
  fillSelect($('loss'), ['default', ...v.losses], ['default', ...v.losses]);
  $('play').onclick = () => (state.playing ? pause() : play());
  $('step').onclick = () => guarded(async () => { pause(); await step({ epochs: 1 }); });
  $('reset').onclick = () => guarded(async () => {
    pause();
    receive(await api('POST', sessionPath('/reset')));
  });
  $('preset').onchange = () => guarded(async () => {
    pause();
    await newSession($('preset').value === 'lecture' ? { ...v.lecture } : {});
  });
  $('dataset').onchange = () => changeSetup({ data: $('dataset').value });
  $('problem').onchange = () => changeSetup({ data: $('problem').value === 'regression' ? v.regression_data[0] : 'circle', loss: null });
  $('activation').onchange = () => changeSetup({ activation: $('activation').value });
  $('loss').onchange = () => changeSetup({ loss: $('loss').value === 'default' ? null : $('loss').value });
  $('regularization').onchange = () => changeSetup({ regularization: $('regularization').value });
  $('optimizer').onchange = () => changeSetup({ optimizer: $('optimizer').value });
  for (const id of ['learning_rate', 'momentum', 'regularization_rate']) {
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
    const text = await file.text();
    receive(await api('POST', sessionPath('/data'), text));
    state.kept.upload = { name: file.name, text };
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
  $('print-sheet').onclick = () => window.print();
  $('check-expression').onclick = () => guarded(checkExpression);
}

export async function edit(name, value) {
  await guarded(async () => {
    receive(await api('POST', sessionPath('/edit'), { name, value }));
    state.kept.edits.push({ name, value });
    status(`${name} = ${num(value)}`);
  });
}

// ---- training ----------------------------------------------------------------------------
// A session route that answers with a snapshot; the points are left out while ours are current.
export const sessionPath = (rest) => `/api/sessions/${state.id}${rest}?known_data=${state.dataVersion ?? ''}`;

export async function step(body) {
  receive(await api('POST', sessionPath('/step'), body));
}

// Play: the next epoch is asked for as soon as a snapshot arrives, so the server computes it
// while the page draws this one.
export async function play() {
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
      pause();
      if (lostSession(e)) await recoverSession();
      else status(e.message, true);
      break;
    }
    pending = state.playing ? next() : null;
    receive(snapshot);
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  if (pending) receive(await pending.catch(() => state.snapshot));
}

export function pause() {
  state.playing = false;
  $('play').textContent = '▶';
  $('play').classList.remove('playing');
}
