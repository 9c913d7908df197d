// The audit trail's shape: who did what to which room, from where and when. Never tokens, cookies or keystrokes.

import type { Clock } from '../util/clock.js';

/**
 * 'write.denied' counts the write-class events a member's role did not allow (detail.count), one record per
 * member per interval; 'limit.refused' says a cap or rate limit refused something (detail.limit names which);
 * 'origin.refused' counts requests refused for their Origin or Host header, one record per address per interval.
 * 'room.resized' counts a room's size changes (detail.count) with the size and requester of the last one,
 * one record per room per interval, since a window being dragged resizes many times a second.
 */
export type AuditEventName =
  | 'room.created'
  | 'room.closed'
  | 'member.joined'
  | 'member.left'
  | 'write.denied'
  | 'limit.refused'
  /** A user signed in (actor = user id, detail.method); Basic sign-ins once per user and address per interval. */
  | 'signin.succeeded'
  /** Failed sign-ins from one address, counted (detail.count); never the name tried or the password. */
  | 'signin.failed'
  | 'room.resized'
  | 'origin.refused'
  /** A capability token was minted or revoked (or expired: detail.reason): its id and role, never the token. */
  | 'token.minted'
  | 'token.revoked'
  /**
   * The owner handed out or took back a member's keyboard (detail.target, detail.role, detail.seconds for a
   * timed grant, detail.displaced for the driver it took the keyboard from).
   */
  | 'role.changed'
  /** A timed grant ran out on the server's clock (actor: the member, now a viewer again). */
  | 'grant.ended'
  /** A member raised or lowered its hand; lowered by the owner, detail.target names whose. */
  | 'hand.raised'
  | 'hand.lowered'
  /** The owner removed a member (detail.target). */
  | 'member.kicked'
  /** The owner admitted or turned away a joiner waiting for approval (detail.target). */
  | 'member.admitted'
  | 'member.denied'
  /** The owner changed the room's settings (detail: each changed setting and its new value). */
  | 'room.settings'
  /** The owner lowered or lifted the curtain (detail.audience: how many writers stayed behind it; detail.cleared). */
  | 'curtain.lowered'
  | 'curtain.lifted'
  /** The owner handed the room's ownership to detail.target. */
  | 'room.handover'
  /** A file transfer (sz/rz) started for a member (detail.direction) or ended (detail.bytes, outcome, reason); never a file name or contents. */
  | 'transfer.started'
  | 'transfer.ended'
  /** A member dropped a bookmark (never its label: the store's bookmarks table holds that). */
  | 'bookmark.added'
  /** A member fetched the room's history to rewind (actor: the member). */
  | 'history.read'
  /** The room's incident bundle was downloaded (detail.by: the token id it was asked with). */
  | 'bundle.downloaded'
  /** A room's recording was fetched (downloaded or replayed; detail.role: owner, or viewer where members may). */
  | 'recording.downloaded'
  /**
   * An SSH room signed in to its host (detail: profile, host, port, user, method, fingerprint); written with the room's
   * creation, so its room is the session's start.
   */
  | 'ssh.login.succeeded'
  /** An SSH sign-in or connection failed (detail.reason: which methods were refused, or why no connection); never a credential. */
  | 'ssh.login.failed'
  /** An SSH room's session ended (detail: reason, exitCode, signal, commands: Enter presses sent to it, seconds it lasted). */
  | 'ssh.session.ended'
  /** A room's creator confirmed an unknown host key (detail.fingerprint) and it was stored (policy 'ask'). */
  | 'ssh.hostkey.trusted'
  /** An unknown host key stopped a room's creation (detail.fingerprint, detail.policy). */
  | 'ssh.hostkey.untrusted'
  /** A host presented a key other than the stored one (detail.expected, detail.fingerprint): refused, never trusted by the API. */
  | 'ssh.hostkey.changed';

/**
 * Which limit refused: a locked room (a joiner turned away), the server's room cap, a creator's room cap, a room's member cap, the event rate, the
 * rate of connection attempts from one address, or token guessing.
 */
export type AuditLimit = 'room-locked' | 'rooms-per-server' | 'rooms-per-user' | 'members-per-room' | 'events-per-second' | 'connections-per-address' | 'token-failures';

/** Only short scalar facts go in `detail`: nothing a member typed, and no credential. */
export type AuditDetail = Readonly<Record<string, string | number | boolean>>;

export interface AuditEvent {
  /** ISO 8601, from the app's clock. */
  time: string;
  event: AuditEventName;
  room?: string;
  /** Who acted: a member id (or a user id, for sign-ins and room creation). */
  actor?: string;
  /** The client's network address. */
  address?: string;
  detail?: AuditDetail;
}

/** Where audit events go. The app writes to its store (server/store/); tests may add a collector. */
export interface AuditLog {
  record(event: AuditEvent): void;
  /** Runs `work`, whose records arrive together (a burst), as one write where the log can; optional. */
  batch?(work: () => void): void;
}

export type AuditEntry = Omit<AuditEvent, 'time'>;

/** Stamps entries with the clock's time before they reach the log, so every caller agrees on "now". */
export class Auditor {
  constructor(
    private readonly log: AuditLog,
    private readonly clock: Clock,
  ) {}

  record(entry: AuditEntry): void {
    this.log.record({ time: new Date(this.clock.now()).toISOString(), ...entry });
  }

  /** Records made inside `work` are written as one batch (one transaction in the store): for bursts. */
  batch(work: () => void): void {
    if (this.log.batch) this.log.batch(work);
    else work();
  }
}

/** One log that writes to both: the store, and a collector a test reads. Bursts are batched in the first. */
export function bothLogs(first: AuditLog, second: AuditLog): AuditLog {
  return {
    record(event) {
      first.record(event);
      second.record(event);
    },
    batch(work) {
      if (first.batch) first.batch(work);
      else work();
    },
  };
}
