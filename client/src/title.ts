// Window titles set by the program (OSC 0/2) made safe to show in the page header and the tab title.

/** Titles come from whatever runs in the room; they are cut so a hostile one cannot flood the header. */
export const MaxTitleLength = 120;

/**
 * C0, DEL and C1 controls, bidi embeddings, overrides, isolates and marks (which could make the header read
 * differently from the text), and the line and paragraph separators.
 */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

/**
 * Strips the characters above and caps the length (in code points, so no surrogate pair is cut). The result
 * is shown with `textContent` and `document.title` only, never parsed as HTML, so markup stays inert text.
 */
export function sanitizeTitle(title: string): string {
  return Array.from(title.replace(CONTROL_CHARACTERS, '')).slice(0, MaxTitleLength).join('').trim();
}
