// The room page's file transfer card: for the member a transfer is offered to, the sz offer (save or skip), the rz
// file picker, progress and a cancel button, and the browser download of what arrived; for everyone else, a line
// saying a transfer is running (from `room:transfer`).

import type { TransferEndPayload, TransferEndReason, TransferStartPayload, TransferStatePayload } from '../../server/shared/events.js';
import type { TransferProgress, TransferUi, UploadFile } from './zmodemTransfer.js';
import { formatMemory } from './telemetry.js';

export interface TransferElements {
  panel: HTMLElement;
  title: HTMLElement;
  detail: HTMLElement;
  progress: HTMLProgressElement;
  save: HTMLButtonElement;
  skip: HTMLButtonElement;
  choose: HTMLButtonElement;
  files: HTMLInputElement;
  cancel: HTMLButtonElement;
}

/** Why a cancelled transfer ended, in words for its member. */
const REASONS: Readonly<Partial<Record<TransferEndReason, string>>> = {
  member: 'you cancelled it',
  program: 'the program cancelled it',
  'too-large': 'it passed this server\'s size limit for a transfer',
  idle: 'nothing moved for too long',
  keyboard: 'you no longer have the keyboard',
  left: 'you left the room or lost the connection',
  overrun: 'the program did not keep up',
  'room-ended': 'the program ended',
};

/** A download is saved by the browser: its object URL is released this long (ms) after the click started it. */
const REVOKE_URL_AFTER_MS = 60_000;

export class TransferPanel implements TransferUi {
  /** Set while our own transfer runs; another member's is only shown while this is false. */
  private mine = false;
  private answerOffer: ((save: boolean) => void) | undefined;
  private answerFiles: ((files: UploadFile[]) => void) | undefined;

  constructor(
    private readonly ui: TransferElements,
    private readonly cancel: () => void,
    /** Tells the member, outside the card (which closes), why its transfer was cancelled. */
    private readonly notify: (text: string) => void,
  ) {
    ui.save.addEventListener('click', () => this.settleOffer(true));
    ui.skip.addEventListener('click', () => this.settleOffer(false));
    ui.choose.addEventListener('click', () => ui.files.click());
    ui.files.addEventListener('change', () => {
      const files = [...(ui.files.files ?? [])];
      ui.files.value = '';
      if (files.length === 0 || !this.answerFiles) return;
      const answer = this.answerFiles;
      this.answerFiles = undefined;
      ui.choose.hidden = true;
      this.ui.detail.textContent = `${files.length === 1 ? files[0]!.name : `${files.length} files`} · ${formatMemory(files.reduce((sum, file) => sum + file.size, 0))}`;
      answer(files);
    });
    ui.cancel.addEventListener('click', () => this.cancel());
  }

  started(start: TransferStartPayload): void {
    this.mine = true;
    this.show(start.direction === 'download' ? 'Receiving a file' : 'Sending files', start.direction === 'download'
      ? 'The program offers a file…'
      : `The program waits for files (at most ${formatMemory(start.maxBytes)}).`);
    this.ui.cancel.hidden = false;
  }

  offer(file: { name: string; size: number | undefined }): Promise<boolean> {
    this.ui.title.textContent = 'Receiving a file';
    this.ui.detail.textContent = file.size === undefined ? file.name : `${file.name} · ${formatMemory(file.size)}`;
    this.ui.save.hidden = false;
    this.ui.skip.hidden = false;
    this.ui.save.focus();
    return new Promise((resolve) => {
      this.answerOffer = resolve;
    });
  }

  chooseFiles(): Promise<UploadFile[]> {
    this.ui.choose.hidden = false;
    this.ui.choose.focus();
    return new Promise((resolve) => {
      this.answerFiles = resolve;
    });
  }

  progress(progress: TransferProgress): void {
    const { progress: bar, detail } = this.ui;
    bar.hidden = false;
    if (progress.total) {
      bar.max = progress.total;
      bar.value = progress.done;
    } else {
      bar.removeAttribute('value');
    }
    const total = progress.total === undefined ? '' : ` of ${formatMemory(progress.total)}`;
    detail.textContent = `${progress.name} · ${formatMemory(progress.done)}${total}`;
  }

  received(name: string, parts: Uint8Array[]): void {
    const url = URL.createObjectURL(new Blob(parts as BlobPart[], { type: 'application/octet-stream' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), REVOKE_URL_AFTER_MS);
  }

  ended(end: TransferEndPayload): void {
    const said = TransferPanel.describeEnd(end);
    if (said !== undefined) this.notify(said);
    this.mine = false;
    this.answerOffer?.(false);
    this.answerOffer = undefined;
    this.answerFiles?.([]);
    this.answerFiles = undefined;
    this.ui.panel.hidden = true;
    this.ui.panel.dataset.state = end.outcome;
  }

  /** The connection dropped: a `room:transfer` saying another member's transfer ended may never come, so its line goes. */
  disconnected(): void {
    if (!this.mine) this.ui.panel.hidden = true;
  }

  /** `room:transfer`: another member's transfer runs or ended (ours has its own card). */
  roomTransfer(state: TransferStatePayload, myId: string | undefined): void {
    if (this.mine || (state.active && state.memberId === myId)) return;
    if (!state.active) {
      this.ui.panel.hidden = true;
      return;
    }
    this.show('File transfer in progress', `${state.name} is ${state.direction === 'download' ? 'receiving a file from' : 'sending files to'} the program. The terminal goes on when it ends.`);
  }

  /** What the member is told when its transfer ended, or undefined for a plain completion. */
  private static describeEnd(end: TransferEndPayload): string | undefined {
    if (end.outcome === 'completed') return undefined;
    return `The file transfer was cancelled: ${REASONS[end.reason ?? 'member'] ?? 'it was stopped'}.`;
  }

  private settleOffer(save: boolean): void {
    const answer = this.answerOffer;
    this.answerOffer = undefined;
    this.ui.save.hidden = true;
    this.ui.skip.hidden = true;
    answer?.(save);
  }

  private show(title: string, detail: string): void {
    const { ui } = this;
    ui.title.textContent = title;
    ui.detail.textContent = detail;
    ui.progress.hidden = true;
    ui.progress.value = 0;
    ui.save.hidden = true;
    ui.skip.hidden = true;
    ui.choose.hidden = true;
    ui.cancel.hidden = true;
    ui.panel.hidden = false;
    ui.panel.dataset.state = 'running';
  }
}
