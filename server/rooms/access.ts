// RoomAccess: who may enter one room and as what: its capability tokens, the standing of its owner and allowed
// users, admission of a credential, member ids, and each member's role again when the token it came in with goes.

import type { Role } from '../shared/events.js';
import { roleAtLeast } from '../shared/events.js';
import { randomId, TokenSizes } from '../auth/capabilities.js';
import { CapabilityStore, type CapabilityInfo } from '../auth/capabilityStore.js';
import type { Clock } from '../util/clock.js';
import { Disposable } from '../shared/disposable.js';
import { Emitter } from '../shared/emitter.js';

/** Who may enter without a token. */
export interface AccessPolicy {
  /** A private room is entered only with a token, or as its owner user or an allowed user. */
  private: boolean;
  /** The signed-in user that created the room: its owner when it joins signed in, without a token. */
  ownerUser?: string;
  /** Signed-in users (ids like `local:alice`) that may enter a private room, as viewers. */
  allowedUsers: readonly string[];
}

export const PUBLIC_ACCESS: AccessPolicy = { private: false, allowedUsers: [] };

/** The credentials a member presents at the door; never a role, which only the room derives. */
export interface Credential {
  token?: string;
  /** The signed-in user's id, from the handshake. */
  user?: string;
}

/** Whom a credential let in, and as what; what the room keeps to re-derive the role later. */
export interface Admission {
  role: Role;
  /** The token it came in with, if that token counted. */
  tokenId?: string;
  user?: string;
}

/** What becomes of a member whose token was revoked or expired: its new role, or 'remove' when nothing is left. */
export interface Rederived {
  memberId: string;
  role: Role | 'remove';
}

export interface RoomAccessOptions {
  /** Default: a public room with no owner user. */
  policy?: AccessPolicy;
  /** Runs token expiry. */
  clock: Clock;
  /** The room's first owner and writer links, stored like any later token. */
  ownerToken: string;
  writeToken: string;
  /** The user id or address of the creator, recorded as the first tokens' minter. */
  createdBy?: string;
}

/** What access keeps of a member: the credential it came in with, not its role (the room's, which the owner may change). */
interface Entrant {
  /** The token it joined with, until that token is revoked or expires. */
  tokenId: string | undefined;
  readonly user: string | undefined;
}

export class RoomAccess extends Disposable {
  /** The room's capability tokens; its first owner and writer links are entries like any other. */
  readonly capabilities: CapabilityStore;
  /** Mutable only through handOver (the owner user moves with the room's ownership). */
  private policy: AccessPolicy;
  /** Members inside, by id, in the order they entered. */
  private readonly entrants = new Map<string, Entrant>();
  private readonly rederivedEmitter = this.register(new Emitter<Rederived[]>());
  /**
   * A revoked or expired token took away what some members came in with: for each, in entry order, the
   * role it keeps or 'remove'. Those removed are already forgotten here; the room applies the verdicts.
   */
  readonly onRederived = this.rederivedEmitter.event;

  constructor(options: RoomAccessOptions) {
    super();
    this.policy = options.policy ?? PUBLIC_ACCESS;
    this.capabilities = this.register(new CapabilityStore(options.clock));
    this.capabilities.add(options.ownerToken, { role: 'owner', label: 'owner link', createdBy: options.createdBy });
    this.capabilities.add(options.writeToken, { role: 'writer', label: 'writer link', createdBy: options.createdBy });
    this.register(this.capabilities.onRemoved(({ info }) => this.tokenRemoved(info)));
  }

  /** The signed-in user who created the room and owns it; undefined without sign-in (then tokens alone decide). */
  get ownerUser(): string | undefined {
    return this.policy.ownerUser;
  }

  /**
   * The role a credential earns, or undefined (the same answer as "no such room"). A token that is given
   * must be valid: a wrong one is refused even where the room would let the bearer in without it, so
   * every guess counts as a failure. Otherwise the best of the token's role, the user's standing (owner
   * user, allowed user) and, in a public room, viewer.
   */
  admit(credential: Credential): Admission | undefined {
    let tokenRole: Role | undefined;
    let tokenId: string | undefined;
    if (credential.token !== undefined) {
      const info = this.capabilities.lookup(credential.token);
      if (!info) return undefined;
      tokenRole = info.role;
      tokenId = info.id;
    }
    const role = highest(tokenRole, this.standingOf(credential.user));
    if (role === undefined) return undefined;
    const admission: Admission = { role };
    if (tokenId !== undefined) admission.tokenId = tokenId;
    if (credential.user !== undefined) admission.user = credential.user;
    return admission;
  }

  /**
   * Moves the room's ownership from one member to another: the owner links `from` came in with are revoked
   * (anyone else who came in with them falls back to what they still have), the owner user becomes `to`'s
   * user (none when `to` is not signed in), and a fresh owner link is minted for `to`, returned once.
   * `from` itself no longer counts on its token; the room gives it the role it keeps.
   */
  handOver(from: string, to: string, createdBy?: string): string {
    const entrant = this.entrants.get(from);
    const successor = this.entrants.get(to);
    const { token, info } = this.capabilities.mint({ role: 'owner', label: 'owner link (handed over)', createdBy });
    if (successor) successor.tokenId = info.id;
    this.policy = { ...this.policy, ownerUser: successor?.user };
    const tokenId = entrant?.tokenId;
    if (entrant && tokenId !== undefined && this.capabilities.get(tokenId)?.role === 'owner') {
      entrant.tokenId = undefined;
      this.capabilities.revoke(tokenId);
    }
    return token;
  }

  /** Who may enter without a token (a private room, its owner user and allowed users). */
  get accessPolicy(): AccessPolicy {
    return this.policy;
  }

  isOwnerToken(token: string): boolean {
    return this.capabilities.lookup(token)?.role === 'owner';
  }

  /** Whether the room shows up in a listing for this (possibly anonymous) user. */
  visibleTo(user: string | undefined): boolean {
    return this.standingOf(user) !== undefined;
  }

  /** Records a member let in on `admission` and returns its id, unique in this room. */
  enter(admission: Admission): string {
    let id: string;
    do id = randomId(TokenSizes.MemberIdBytes);
    while (this.entrants.has(id));
    this.entrants.set(id, { tokenId: admission.tokenId, user: admission.user });
    return id;
  }

  leave(memberId: string): void {
    this.entrants.delete(memberId);
  }

  /** The role a user has here without any token: owner user, allowed user, or anyone in a public room. */
  private standingOf(user: string | undefined): Role | undefined {
    if (user !== undefined && user === this.policy.ownerUser) return 'owner';
    if (user !== undefined && this.policy.allowedUsers.includes(user)) return 'viewer';
    return this.policy.private ? undefined : 'viewer';
  }

  /**
   * Each member that came in with the token falls back to what it still has (its user's standing; viewer
   * in a public room) or, left with nothing, is removed. What the owner had handed out goes with the token.
   */
  private tokenRemoved(info: CapabilityInfo): void {
    const verdicts: Rederived[] = [];
    for (const [memberId, entrant] of this.entrants) {
      if (entrant.tokenId !== info.id) continue;
      entrant.tokenId = undefined;
      const role = this.standingOf(entrant.user);
      if (role === undefined) this.entrants.delete(memberId);
      verdicts.push({ memberId, role: role ?? 'remove' });
    }
    if (verdicts.length > 0) this.rederivedEmitter.fire(verdicts);
  }
}

function highest(a: Role | undefined, b: Role | undefined): Role | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return roleAtLeast(a, b) ? a : b;
}
