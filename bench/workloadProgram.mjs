// The program benchmark terminals run: floods of mixed text or scrollback lines, each ended by a marker and then sleep.
// Plain JavaScript so a PTY can run it with `node` directly (no tsx start-up cost inside the timed window).

/** One block of the flood, repeated: about 64 KiB, so each synchronous tty write is a large one like `cat` makes. */
const BLOCK_TARGET_BYTES = 64 * 1024;
/** Long enough to outlive any scenario; the system ends it (workloads never exit at once: node-pty #726). */
const SLEEP_MS = 2 ** 30;

/**
 * Mixed text like a build log: lines of varied length, some coloured (SGR), some with accented letters (2-byte
 * UTF-8), a few with CJK (wide cells). Deterministic, so the calibration parses exactly what the PTY carries.
 */
export function mixedBlock(targetBytes = BLOCK_TARGET_BYTES) {
  const words = ['build', 'compile', 'src/server/room.ts', 'ok', 'warning:', 'linking', 'test', 'passed', '12.5ms', 'cache'];
  let out = '';
  for (let i = 0; Buffer.byteLength(out) < targetBytes; i++) {
    const length = 3 + ((i * 7) % 14);
    let line = `${String(i).padStart(6, '0')} `;
    for (let w = 0; w < length; w++) line += `${words[(i + w * 3) % words.length]} `;
    if (i % 4 === 0) line = `\x1b[3${i % 8}m${line}\x1b[0m`;
    if (i % 8 === 3) line += 'résumé café naïve';
    if (i % 32 === 17) line += ' 終端 共有';
    out += `${line}\r\n`;
  }
  return out;
}

/** `lines` full-width (80-column) numbered lines: what fills a room's scrollback. */
function scrollbackLines(lines) {
  let out = '';
  for (let i = 0; i < lines; i++) out += `${`line ${i} `.padEnd(79, String.fromCharCode(97 + (i % 26)))}\r\n`;
  return out;
}

function flood(bytes) {
  const block = mixedBlock();
  const blockBytes = Buffer.byteLength(block);
  // A tty stdout is written synchronously on Linux, so this loop is paced by the PTY's reader.
  for (let written = 0; written < bytes; written += blockBytes) process.stdout.write(block);
}

function finish(marker) {
  process.stdout.write(`\r\n${marker}\r\n`);
  setTimeout(() => {}, SLEEP_MS);
}

/** Waits for one line of input (the writer's Enter): lets viewers join before the timed flood starts. */
function afterEnter(run) {
  process.stdin.setEncoding('utf8');
  process.stdin.once('data', () => {
    process.stdin.pause();
    run();
  });
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const [mode, count, marker, trigger] = process.argv.slice(2);
  const run = () => {
    if (mode === 'flood') flood(Number(count));
    else if (mode === 'scrollback') process.stdout.write(scrollbackLines(Number(count)));
    else throw new Error(`unknown mode ${mode}`);
    finish(marker);
  };
  if (trigger === 'enter') afterEnter(run);
  else run();
}
