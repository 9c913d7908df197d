// The escape sequence a chunk of output ended in the middle of, kept so a snapshot taken between
// two chunks puts the joiner's parser in the same half-read state as the mirror's.

/**
 * Characters that start a sequence from any parser state: ESC (which also ends an OSC/DCS string) and
 * the C1 introducers DCS, SOS, CSI, OSC, PM, APC. The unfinished sequence starts at the last of them.
 */
const SEQUENCE_START = /[\x1b\x90\x98\x9b\x9d\x9e\x9f]/;

/**
 * Past this many code units only the head of an unfinished sequence is kept. Real sequences are a few
 * bytes; only strings (OSC 52 clipboard, DCS images) grow, and the joiner then gets the same string
 * with its middle missing, which changes nothing on its screen. Bounds the memory per room.
 */
export const PENDING_SEQUENCE_MAX = 64 * 1024;

export class PendingSequence {
  private text = '';

  /** The unfinished sequence at the end of everything parsed so far; '' when the parser is at rest. */
  get value(): string {
    return this.text;
  }

  /** Call after `data` is parsed, with whether the parser ended it between sequences. */
  parsed(data: string, inGround: boolean): void {
    if (inGround) {
      this.text = '';
      return;
    }
    const start = lastSequenceStart(data);
    const sequence = start < 0 ? this.text + data : data.slice(start);
    this.text = sequence.length > PENDING_SEQUENCE_MAX ? sequence.slice(0, PENDING_SEQUENCE_MAX) : sequence;
  }
}

function lastSequenceStart(data: string): number {
  for (let i = data.length - 1; i >= 0; i--) if (SEQUENCE_START.test(data[i]!)) return i;
  return -1;
}
