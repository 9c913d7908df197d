// Window titles set by the program (OSC 0/2) made safe to show in the page header and the tab title.

/** Titles come from whatever runs in the room; they are cut so a hostile one cannot flood the header. */
export const MaxTitleLength = 120;

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/** Strips C0, DEL and C1 controls and caps the length (in code points, so no surrogate pair is cut). */
export function sanitizeTitle(title: string): string {
  return Array.from(title.replace(CONTROL_CHARACTERS, '')).slice(0, MaxTitleLength).join('').trim();
}
