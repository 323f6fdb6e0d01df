/* global fetch, document, sessionStorage */
/**
 * Calls to the daqsim API. Reads need nothing; commands and fault changes carry `Authorization: Bearer <token>`
 * when the server wants one: the page asks for it (a dialog) before the first such call, keeps it for the browser
 * session, and asks again when the server answers 401.
 */

const KEY = 'daqsim.token';

export class HttpError extends Error {}

function askToken(message) {
  const dialog = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  document.getElementById('token-message').textContent = message;
  input.value = '';
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok' && input.value !== '' ? input.value : null), { once: true });
  });
}

export class Api {
  constructor(tokenRequired) {
    this.tokenRequired = tokenRequired;
    this.token = sessionStorage.getItem(KEY) ?? '';
  }

  async get(path) {
    const res = await fetch(path, { cache: 'no-store' });
    const body = await res.json();
    if (!res.ok) throw new HttpError(body.message ?? `HTTP ${res.status}`);
    return body;
  }

  /** Ask for a (new) token now; false when the user cancels. */
  async setToken(message = 'Commands on this server need the API token.') {
    const t = await askToken(message);
    if (t === null) return false;
    this.token = t;
    sessionStorage.setItem(KEY, t);
    return true;
  }

  /** A request that changes something: with the token, asking for it when needed. */
  async send(method, path, body) {
    let message = 'Commands on this server need the API token.';
    for (;;) {
      if (this.tokenRequired && !this.token && !(await this.setToken(message))) throw new HttpError('no token given');
      const headers = {};
      if (this.token) headers.authorization = `Bearer ${this.token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      if (res.status === 401) {
        this.tokenRequired = true;
        this.token = '';
        sessionStorage.removeItem(KEY);
        message = 'The server refused that token. Enter the API token.';
        continue;
      }
      const json = await res.json().catch(() => ({}));
      if (!res.ok) throw new HttpError(json.message ?? `HTTP ${res.status}`);
      return json;
    }
  }

  /** A CSC command, answered with its first ack (the final one follows on the event stream). */
  command(csc, name, params = {}) {
    return this.send('POST', `/api/v1/${csc}/command/${name}?wait=false`, params);
  }
}
