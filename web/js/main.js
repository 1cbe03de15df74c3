// The playground page's entry point. It draws what the server computes and sends back what
// the learner changes; it does no arithmetic on the network's numbers (every loss, gradient,
// chain and update comes from /api).

import { $, state, api, guarded } from './core.js';
import { setupFromHash, newSession, fillSelect, bindControls } from './controls.js';
import { computeChain } from './tabs.js';

// ---- start --------------------------------------------------------------------------------
export async function start() {
  state.vocabulary = await api('GET', '/api/vocabulary');
  fillSelect($('dataset'), state.vocabulary.data);
  bindControls();
  await guarded(() => newSession(setupFromHash()));
  if (!state.id) await guarded(() => newSession({}));
  await guarded(computeChain);
}

start();
