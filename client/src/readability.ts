// The readable minimum for terminal text, on its own so browser tests can import it without xterm.js.

export const Readability = {
  /**
   * CSS pixels: the smallest text the grid is scaled down to. Below about 11 px monospace text on a phone
   * held at reading distance stops being legible (it is also where browsers' own minimum-font settings start),
   * so past this point the view pans over the grid instead of shrinking it further.
   */
  MinFontPx: 11,
} as const;
