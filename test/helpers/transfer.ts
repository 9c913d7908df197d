// A member's side of a file transfer for tests: zmodem.js (client/src/zmodemTransfer.ts, as the room page runs it)
// on a test member's socket, with answers the test chooses and everything it saw kept for assertions.

import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import type { TransferEndPayload, TransferStartPayload } from '../../server/shared/events.js';
import { ZmodemTransfers, type TransferProgress, type TransferUi, type UploadFile } from '../../client/src/zmodemTransfer.js';
import type { Member } from './member.js';

/** Why ZMODEM tests cannot run here, or undefined when lrzsz's sz and rz are installed. */
export function lrzszMissing(): string | undefined {
  try {
    execFileSync('sh', ['-c', 'command -v sz && command -v rz'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'lrzsz (sz, rz) is not installed: apt-get install lrzsz (.ci/run installs it)';
  }
}

/**
 * `size` random bytes with an ASCII marker written into them every 64 KiB: ZMODEM leaves letters unescaped, so
 * the marker is in the sz stream as is, and its absence from a viewer's stream, a snapshot or the recording shows
 * that no part of the file reached them.
 */
export function markedFile(size: number, marker: string): Buffer {
  const file = randomBytes(size);
  for (let at = 1000; at + marker.length < size; at += 64 * 1024) file.write(marker, at, 'latin1');
  return file;
}

export interface TransferSideOptions {
  /** Answer to sz's offer (default: save). */
  save?: boolean;
  /** Answers sz's offer when given (it may wait); overrides `save`. */
  answer?: (file: { name: string; size: number | undefined }) => Promise<boolean>;
  /** Files to answer rz with (default: none); a function may wait. */
  files?: UploadFile[] | (() => Promise<UploadFile[]>);
  /** Called on every progress report (a test cancels from here). */
  onProgress?: (progress: TransferProgress, side: TransferSide) => void;
}

export class TransferSide {
  readonly transfers: ZmodemTransfers;
  readonly starts: TransferStartPayload[] = [];
  readonly ends: TransferEndPayload[] = [];
  readonly offers: Array<{ name: string; size: number | undefined }> = [];
  readonly received = new Map<string, Buffer>();
  /** Bytes of transfer:data this member's socket received. */
  dataBytes = 0;

  constructor(readonly member: Member, private readonly options: TransferSideOptions = {}) {
    const ui: TransferUi = {
      started: (start) => void this.starts.push(start),
      offer: async (file) => {
        this.offers.push(file);
        return options.answer ? options.answer(file) : options.save ?? true;
      },
      chooseFiles: async () => {
        const files = options.files;
        return typeof files === 'function' ? files() : files ?? [];
      },
      progress: (progress) => options.onProgress?.(progress, this),
      received: (name, parts) => void this.received.set(name, Buffer.concat(parts)),
      ended: (end) => void this.ends.push(end),
    };
    this.transfers = new ZmodemTransfers(member.socket, ui);
    member.socket.on('transfer:data', (data: unknown) => {
      this.dataBytes += (data as Uint8Array).byteLength;
    });
  }

  dispose(): void {
    this.transfers.dispose();
  }
}

/** A file for an upload from bytes in memory (Node's File is the browser's). */
export function uploadFile(name: string, bytes: Uint8Array): UploadFile {
  return new File([bytes as BlobPart], name, { lastModified: Date.now() });
}
