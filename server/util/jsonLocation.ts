// parseJsonAt: JSON.parse whose syntax errors say the line and column, since V8's messages often give neither.

/** A JSON syntax error at a 1-based line and column. */
export class JsonSyntaxError extends Error {
  constructor(readonly line: number, readonly column: number, reason: string) {
    super(`line ${line}, column ${column}: ${reason}`);
  }
}

const WHITESPACE = ' \t\n\r';
const DIGITS = '0123456789';

/**
 * The offset of the first character a strict JSON reader cannot accept (text.length when it ends too early).
 * Only called once JSON.parse has refused the text, so it needs to find the place, not to build a value.
 */
function firstErrorOffset(text: string): number {
  let at = 0;
  const fail = (): never => {
    throw at;
  };
  const skipSpace = () => {
    while (at < text.length && WHITESPACE.includes(text[at]!)) at++;
  };
  const expect = (ch: string) => (text[at] === ch ? at++ : fail());
  const literal = (word: string) => {
    for (const ch of word) expect(ch);
  };
  const digits = () => {
    if (at >= text.length || !DIGITS.includes(text[at]!)) fail();
    while (at < text.length && DIGITS.includes(text[at]!)) at++;
  };
  const number = () => {
    if (text[at] === '-') at++;
    if (text[at] === '0') at++;
    else digits();
    if (text[at] === '.') {
      at++;
      digits();
    }
    if (text[at] === 'e' || text[at] === 'E') {
      at++;
      if (text[at] === '+' || text[at] === '-') at++;
      digits();
    }
  };
  const string = () => {
    expect('"');
    while (at < text.length && text[at] !== '"') {
      if (text.charCodeAt(at) < 0x20) fail();
      if (text[at] === '\\') {
        at++;
        if (text[at] === 'u') {
          at++;
          for (let i = 0; i < 4; i++) (/[0-9a-fA-F]/.test(text[at] ?? '') ? at++ : fail());
          continue;
        }
        if (!'"\\/bfnrt'.includes(text[at] ?? '') || at >= text.length) fail();
      }
      at++;
    }
    expect('"');
  };
  const value = (): void => {
    skipSpace();
    const ch = text[at];
    if (ch === '{') {
      at++;
      skipSpace();
      if (text[at] === '}') return void at++;
      for (;;) {
        skipSpace();
        string();
        skipSpace();
        expect(':');
        value();
        skipSpace();
        if (text[at] === ',') at++;
        else return void expect('}');
      }
    }
    if (ch === '[') {
      at++;
      skipSpace();
      if (text[at] === ']') return void at++;
      for (;;) {
        value();
        skipSpace();
        if (text[at] === ',') at++;
        else return void expect(']');
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    if (ch === '-' || DIGITS.includes(ch ?? 'x')) return number();
    fail();
  };
  try {
    value();
    skipSpace();
    if (at < text.length) fail();
  } catch (offset) {
    if (typeof offset === 'number') return offset;
    throw offset;
  }
  return text.length;
}

/** JSON.parse, or a JsonSyntaxError naming where the text stops being JSON. */
export function parseJsonAt(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    const offset = Math.min(firstErrorOffset(text), text.length);
    const before = text.slice(0, offset).split('\n');
    const line = before.length;
    const column = before[before.length - 1]!.length + 1;
    const reason = offset >= text.length ? 'the JSON ends too early' : `unexpected ${JSON.stringify(text[offset])}`;
    throw new JsonSyntaxError(line, column, `not valid JSON (${reason})`);
  }
}
