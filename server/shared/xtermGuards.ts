// Guards against xterm.js bugs that a program's output can trigger. Platform-neutral: the server's
// mirror and the browser client install the same ones, so every screen stays the same.

/** The part of @xterm/headless's and @xterm/xterm's Terminal the guards use. */
export interface GuardedTerminal {
  readonly cols: number;
  readonly buffer: { readonly active: { readonly cursorX: number; readonly cursorY: number; readonly length: number } };
  readonly parser: {
    registerCsiHandler(id: { prefix?: string; final: string }, callback: (params: (number | number[])[]) => boolean): { dispose(): void };
  };
}

interface EraseCore {
  _core?: { _inputHandler?: { eraseInDisplay?: (params: { params: number[] }, respectProtect?: boolean) => boolean } };
}

/**
 * xterm 6.0's ED 1 (erase above) throws when the cursor is in the last column of a buffer's last line
 * (a fresh screen or the alternate screen): it clears the wrap flag of the line below, which does not
 * exist. `printf '\e[999;999H\e[1J'` would kill the server. There, ED 1 erases every row, which is
 * exactly ED 2, so ED 2 runs instead. Returns the handlers' disposables.
 */
export function guardEraseAbove(terminal: GuardedTerminal): { dispose(): void }[] {
  const inputHandler = (terminal as unknown as EraseCore)._core?._inputHandler;
  if (typeof inputHandler?.eraseInDisplay !== 'function') return [];
  const guard = (respectProtect: boolean) => (params: (number | number[])[]): boolean => {
    const buffer = terminal.buffer.active;
    const crashes = params[0] === 1 && Math.min(buffer.cursorX, terminal.cols - 1) + 1 >= terminal.cols && buffer.cursorY + 1 >= buffer.length;
    if (!crashes) return false;
    inputHandler.eraseInDisplay!({ params: [2] }, respectProtect);
    return true;
  };
  return [
    terminal.parser.registerCsiHandler({ final: 'J' }, guard(false)),
    terminal.parser.registerCsiHandler({ prefix: '?', final: 'J' }, guard(true)),
  ];
}
