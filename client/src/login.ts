// Sign-in page entry: carries the page to return to into the form and shows the server's "wrong credentials" flag.

import { applyPageTheme, preferredTheme } from './theme.js';

applyPageTheme(preferredTheme());

const params = new URLSearchParams(location.search);
const next = document.getElementById('login-next');
const error = document.getElementById('login-error');

// The server checks the path again (safeReturnPath); this only carries it through the form.
if (next instanceof HTMLInputElement) next.value = params.get('next') ?? '/';
if (error instanceof HTMLElement) error.hidden = params.get('error') === null;
