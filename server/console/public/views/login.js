import { h } from '../dom.js';

export function renderLogin(view, { api, onLogin }) {
  const err = h('p', { class: 'error', role: 'alert' });
  const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { class: 'panel login', 'aria-label': 'log in' },
    h('h1', {}, 'dcim console'),
    h('label', { for: 'login-user' }, 'User name'), user,
    h('label', { for: 'login-password' }, 'Password'), pass,
    h('p', {}, h('button', { class: 'primary', type: 'submit' }, 'Log in')),
    err);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    try {
      const r = await api('/api/auth/login', { method: 'POST', body: { username: user.value, password: pass.value } });
      onLogin(r.user);
    } catch (ex) {
      err.textContent = ex.status === 429 ? 'Too many attempts; wait a minute.' : 'Wrong user name or password.';
    }
  });
  view.append(form);
  user.focus();
}
