// Member colours: one per member, shown in the member list, the typing indicator and chat, on dark and light themes.

/**
 * Mid-lightness hues that read on both themes and stay apart from one another; a room gives each member
 * the first one nobody present has, and repeats them past the twelfth member.
 */
export const MEMBER_COLOURS: readonly string[] = [
  '#1c7ed6', // blue
  '#e8590c', // orange
  '#2b8a3e', // green
  '#ae3ec9', // purple
  '#c2255c', // pink
  '#0c8599', // cyan
  '#d9480f', // rust
  '#5f3dc4', // violet
  '#087f5b', // teal
  '#e67700', // amber
  '#364fc7', // indigo
  '#a61e4d', // wine
];

/** The first colour not in `taken`, or (all taken) the one used least. */
export function pickColour(taken: readonly string[]): string {
  let best = MEMBER_COLOURS[0]!;
  let bestCount = Infinity;
  for (const colour of MEMBER_COLOURS) {
    const count = taken.filter((used) => used === colour).length;
    if (count < bestCount) {
      best = colour;
      bestCount = count;
    }
  }
  return best;
}
