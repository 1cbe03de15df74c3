// The page's shared pieces: its state, the API, numbers as the CLI prints them, errors.

import { recoverSession } from './controls.js';

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
  // What a lost session is re-created with: the uploaded CSV, and the hand edits made since the
  // weights last started afresh (the snapshot's weights_version says when).
  kept: { upload: null, edits: [], weightsVersion: null },
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
  let response;
  try {
    response = await fetch(path, init);
  } catch (_) {
    throw new Error('the server is not answering (stopped, or restarting?): try again in a moment');
  }
  if (!response.ok) {
    let message = `${response.status}`;
    try { message = (await response.json()).error; } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  if (response.status === 204) return null;
  return text ? response.text() : response.json();
}

export function status(message, error = false, notice = false) {
  const el = $('status');
  el.textContent = message;
  el.classList.toggle('error', error);
  el.classList.toggle('notice', notice);
}

// The server's answer for a session it no longer has (restarted, or idle past its timeout).
export const lostSession = (e) => /no session/.test(e.message);

export async function guarded(work) {
  try {
    await work();
  } catch (e) {
    if (lostSession(e)) await recoverSession();
    else status(e.message, true);
  }
}
