// splitCommandLine: a command line given as one string (--command, a profile's `command`) into program and arguments.

import { ConfigError } from './configError.js';

/** Splits a command line like a POSIX shell does for words: quotes and backslashes, no expansion. */
export function splitCommandLine(line: string, source = '--command'): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\') {
      if (i + 1 >= line.length) throw new ConfigError(`${source} ends with a lone backslash`);
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new ConfigError(`${source} has an unclosed ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}
