import { h } from '../dom.js';
import { beginSignIn, signedInUser, signInProblem, signOut } from '../sign-in.js';

/** In place of a view while the tab is not signed in: what happened, and the way in. */
export function signInView(): HTMLElement {
  const problem = signInProblem();
  const button = h(
    'button',
    {
      type: 'button',
      class: 'sign-in-button',
      'data-testid': 'sign-in',
      onclick: () => {
        button.disabled = true;
        void beginSignIn();
      },
    },
    'Sign in',
  );
  return h(
    'div',
    { class: 'view view-sign-in', 'data-view': 'sign-in' },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'This dashboard shows its metrics to signed-in users.'),
    problem
      ? h('p', { class: 'notice notice-error', role: 'alert', 'data-testid': 'sign-in-problem' }, problem)
      : null,
    button,
  );
}

/** The header's part of sign-in: who is signed in and a way out, or nothing. */
export function sessionControls(): (Node | string)[] {
  const user = signedInUser();
  if (!user) return [];
  return [
    h(
      'span',
      { class: 'signed-in-as', 'data-testid': 'signed-in-as' },
      'Signed in as ',
      h('strong', {}, user.name),
      user.admin ? h('span', { class: 'badge', 'data-testid': 'signed-in-admin' }, 'admin') : null,
    ),
    h('button', { type: 'button', 'data-testid': 'sign-out', onclick: () => signOut() }, 'Sign out'),
  ];
}
