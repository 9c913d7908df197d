// The page theme (dark or light): the member's choice when remembered, else the system's preference.

import { loadPrefs } from './storage.js';

export type ThemeName = 'dark' | 'light';

export function preferredTheme(): ThemeName {
  return loadPrefs().theme ?? (window.matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark');
}

/** Sets the page's colours (app.css reads `data-theme` on the root element). */
export function applyPageTheme(theme: ThemeName): void {
  document.documentElement.dataset.theme = theme;
}
