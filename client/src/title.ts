// Window titles set by the program (OSC 0/2) made safe to show in the page header and the tab title.

import { UNSAFE_IN_LINE } from '../../server/shared/unsafeText.js';

/** Titles come from whatever runs in the room; they are cut so a hostile one cannot flood the header. */
export const MaxTitleLength = 120;

/**
 * Strips controls, bidi controls and line separators (UNSAFE_IN_LINE: they could make the header read differently
 * from the text) and caps the length (in code points, so no surrogate pair is cut). The result
 * is shown with `textContent` and `document.title` only, never parsed as HTML, so markup stays inert text.
 */
export function sanitizeTitle(title: string): string {
  return Array.from(title.replace(UNSAFE_IN_LINE, '')).slice(0, MaxTitleLength).join('').trim();
}
