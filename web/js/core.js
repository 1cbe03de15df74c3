// The page's shared pieces: its state, the API, numbers as the CLI prints them, errors.

import { createSession } from './controls.js';

export const $ = (id) => document.getElementById(id);
export const SVG = 'http://www.w3.org/2000/svg';

export const state = {
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
export function num(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return String(x);
  const s = x.toFixed(9).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}
export const pct = (x) => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)} %`);
// explain's symbols (dE/dout_H1) in the page's notation (∂E/∂out_H1)
export const sym = (s) => s.replace(/(^|[^A-Za-z])d(?=[A-Za-z])/g, '$1∂').replace(/\*/g, '·');

// ---- the API ------------------------------------------------------------------------------
export async function api(method, path, body, { text = false } = {}) {
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

export function status(message, error = false) {
  const el = $('status');
  el.textContent = message;
  el.classList.toggle('error', error);
}

export async function guarded(work) {
  try {
    await work();
  } catch (e) {
    status(e.message, true);
    if (/no session/.test(e.message)) await createSession(state.setup);
  }
}
