/* global document, window, fetch */
/** Entry point: read what the server runs, then one panel per CSC. */
import { Api } from './api.js';
import { CscPanel } from './panel.js';

async function main() {
  const main = document.getElementById('cscs');
  let info;
  try {
    const res = await fetch('/api/v1/dashboard', { cache: 'no-store' });
    info = await res.json();
  } catch (e) {
    main.innerHTML = `<p class="boot">Cannot reach the daqsim server: ${e.message}</p>`;
    return;
  }
  document.getElementById('version').textContent = `v${info.version}`;
  const api = new Api(info.tokenRequired);
  const tokenButton = document.getElementById('token-button');
  tokenButton.hidden = !info.tokenRequired;
  tokenButton.addEventListener('click', () => void api.setToken());
  const panels = info.cscs.map((c) => new CscPanel(c, info.enums, api));
  main.replaceChildren(...panels.map((p) => p.el));
  await Promise.all(panels.map((p) => p.start()));
  let resize = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resize);
    resize = setTimeout(() => panels.forEach((p) => p.fp.layout(p.fpCard.clientWidth - 26)), 150);
  });
  // For tests and the curious: the models behind the page.
  window.daqsim = { panels };
}

void main();
