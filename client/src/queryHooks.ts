// One responder: stops the browser's xterm from answering terminal queries that the server's mirror answers.

import type { IDisposable, Terminal } from '@xterm/xterm';

/** True when an OSC 4/10/11/12 payload asks for a colour ("?") rather than setting one. */
function isColorQuery(data: string): boolean {
  return data.includes('?');
}

/**
 * Every member's xterm parses the same output. If each one answered a query (device attributes, cursor
 * position, mode or setting reports, window reports, colour reports) the program would get one answer per
 * member plus the mirror's, typed into its input as garbage. The server's mirror is the single responder
 * (docs/protocol.md, guarantee 3), so these handlers claim the queries (return true) before xterm's built-in
 * handlers can reply. Colour OSCs that set a colour return false so xterm still applies them. OSC 52 is
 * always claimed: a program must not read or write a viewer's clipboard.
 */
export function swallowTerminalQueries(term: Terminal): IDisposable[] {
  const parser = term.parser;
  const claim = (): boolean => true;
  const disposables: IDisposable[] = [
    // Device attributes: primary (DA1), secondary (DA2), tertiary (DA3).
    parser.registerCsiHandler({ final: 'c' }, claim),
    parser.registerCsiHandler({ prefix: '>', final: 'c' }, claim),
    parser.registerCsiHandler({ prefix: '=', final: 'c' }, claim),
    // Device status report and cursor position report (DSR / DECXCPR).
    parser.registerCsiHandler({ final: 'n' }, claim),
    parser.registerCsiHandler({ prefix: '?', final: 'n' }, claim),
    // Mode reports (DECRQM), ANSI and DEC private.
    parser.registerCsiHandler({ intermediates: '$', final: 'p' }, claim),
    parser.registerCsiHandler({ prefix: '?', intermediates: '$', final: 'p' }, claim),
    // Setting reports (DECRQSS).
    parser.registerDcsHandler({ intermediates: '$', final: 'q' }, claim),
    // Window manipulation and reports (XTWINOPS); xterm.js leaves these off by default, this keeps them off.
    parser.registerCsiHandler({ final: 't' }, claim),
    // Clipboard (OSC 52).
    parser.registerOscHandler(52, claim),
  ];
  for (const colorOsc of [4, 10, 11, 12]) {
    disposables.push(parser.registerOscHandler(colorOsc, isColorQuery));
  }
  return disposables;
}
