// unsafeText: the characters removed from other people's text (names, chat, titles, notices) before anyone's screen shows it.
// No Node or DOM types, so the browser client uses it too.

/**
 * Bidi controls: the Arabic letter mark, LRM and RLM, the embeddings and overrides, the isolates. Any of them lets
 * one piece of text make what follows it read in a different order than it was written.
 */
const BIDI_CONTROLS = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';

/**
 * Every control character (C0, DEL, C1: they would restyle a terminal or move its cursor), the line and paragraph
 * separators, and the bidi controls: what a one-line text (a name, a title, a table cell, a status line) must not hold.
 */
export const UNSAFE_IN_LINE = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029${BIDI_CONTROLS}]`, 'g');

/** The same as UNSAFE_IN_LINE, but line feeds stay: for text that may span lines (a chat message). */
export const UNSAFE_IN_TEXT = new RegExp(`[\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f\\u2028\\u2029${BIDI_CONTROLS}]`, 'g');
