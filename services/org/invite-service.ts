/**
 * Invites: signed single-use tokens for a rank below the inviter's, listed with their
 * state, revocable; joining an org with one: the newcomer's node asks a member's node to
 * admit it (any member online, found through the invite's addresses, the node's own
 * peers or the org's rendezvous; no officer needed), and that node judges the invite on
 * its own roster and clock (see admission-rules.ts).
 */
import { z } from 'zod'
import { type Clock, type DocumentStore, type MemberKey, type Signer, systemClock } from '../../crdt/index.ts'
import { ADMIT_ACTION, type InviteRefusalCode, inviteProblem } from './admission-rules.ts'
import type { AuthIndex } from './auth-index.ts'
import type { AuthState } from './auth-state.ts'
import { explainRefusal, lacking, rankNameOf, requireRead } from './caller.ts'
import {
  InvalidInputError,
  InviteNotFoundError,
  InviteRefusedError,
  PermissionDeniedError,
} from './errors.ts'
import type { FeatureGate } from './feature-gate.ts'
import { handleInput as handle, parseInput as parse, rankIdInput as rankId } from './input.ts'
import { type Invite, newInviteId, readInvite, signInvite } from './invite.ts'
import { type InviteView, inviteViews } from './invite-list.ts'
import { joinRequestText, readJoinRequest, signJoinRequest } from './join-request.ts'
import { ORG_ID } from './org-id.ts'
import { memberField, type OrgSummary, RosterAccess, rosterId, summarizeRoster } from './roster-access.ts'
import { str } from './roster-schema.ts'

/** Why a node did not admit a newcomer, as a code (the newcomer's node acts on it) and words. */
export type AdmitRefusalCode = InviteRefusalCode | 'bad-request' | 'not-member' | 'removed' | 'busy'
export type AdmitAnswer = { ok: true } | { ok: false; code: AdmitRefusalCode; reason: string }

/** A member's node's answer to a join request: admitted (and the org fetched), or why not. */
export type JoinAnswer = { ok: true } | { ok: false; code: string; reason: string }

/**
 * How a newcomer reaches the org's member nodes (the node implements it over the
 * network): where to ask, and a staging area the org is fetched into.
 */
export interface JoinTransport {
  /**
   * The nodes to ask, in order, as multiaddrs or peer ids: the invite's addresses, peers
   * this node is connected to (configured bootstrap peers, the LAN), the org's member
   * nodes found under the invite's rendezvous, the inviter. May search the network;
   * stops when `signal` aborts.
   */
  candidates(invite: Invite, signal: AbortSignal): AsyncIterable<string>
  /** A fresh staging area for one accept: nothing reaches the node's store but through `commit`. */
  stage(): Promise<JoinStaging>
}

export interface JoinStaging {
  /**
   * Asks the node at `target` to admit the packed request; once admitted, fetches the org
   * from it into the staging area. Throws when the node cannot be reached or the fetch
   * breaks off (what was fetched stays staged, for the next node asked).
   */
  join(target: string, org: string, request: Uint8Array, signal: AbortSignal): Promise<JoinAnswer>
  /** Whether the staged org holds `member` as a member (its admission arrived and holds). */
  isMember(org: string, member: MemberKey): Promise<boolean>
  /** Moves the staged org into the node's store (whose receive path checks it all again). */
  commit(org: string, signal: AbortSignal): Promise<void>
  /** Removes the staging area and what it holds. */
  discard(): Promise<void>
}

/** Refusals that hold whichever member is asked: the newcomer stops asking. */
/** How long `accept` looks for a member's node to admit this one, unless given a signal. */
const ACCEPT_TIMEOUT_MS = 300_000

const FINAL_REFUSALS: ReadonlySet<string> = new Set<AdmitRefusalCode>([
  'used',
  'revoked',
  'expired',
  'not-yet-valid',
  'invalid',
  'removed',
  'bad-request',
])

export type { InviteView } from './invite-list.ts'

export class InviteService {
  private readonly store: DocumentStore
  private readonly signer: Signer
  private readonly rosters: RosterAccess
  private readonly gate: FeatureGate
  private readonly clock: Clock

  /**
   * `gate`: seats; a full org takes no new invites. `clock`: what invites expire by, on
   * this node (default `systemClock`).
   */
  constructor(components: {
    store: DocumentStore
    signer: Signer
    auth: AuthIndex
    gate: FeatureGate
    clock?: Clock
  }) {
    this.clock = components.clock ?? systemClock
    this.gate = components.gate
    this.store = components.store
    this.signer = components.signer
    this.rosters = new RosterAccess(components)
  }

  private get me(): MemberKey {
    return this.signer.memberKey
  }

  /** Creates a signed, single-use invite for a rank below yours. */
  async createInvite(
    orgId: string,
    input: {
      rank: unknown
      expiresInHours?: unknown
      bootstrap?: readonly string[]
      /** The org's rendezvous key (hex), under which its member nodes can be found. */
      rendezvous?: string
    },
  ): Promise<{ token: string; invite: Invite }> {
    const r = parse(rankId, input.rank, 'rank')
    const hours = parse(
      z
        .number()
        .positive()
        .max(24 * 365),
      input.expiresInHours === undefined ? 72 : input.expiresInHours,
      'expiresInHours',
    )
    const state = await this.rosters.currentState(orgId)
    if (!state.can(this.me, 'members:invite'))
      throw new PermissionDeniedError('inviting', 'members:invite', this.rankName(state))
    const rank = state.rank(r)
    if (rank === undefined) throw new InvalidInputError('rank', `no rank ${r}`)
    if (rank.level >= state.levelOf(this.me))
      throw new InvalidInputError('rank', 'must be below your own level')
    if (input.rendezvous !== undefined && !/^[0-9a-f]{64}$/.test(input.rendezvous))
      throw new TypeError('rendezvous: must be 32 bytes in hex')
    await this.gate.requireSeat(orgId)
    const now = this.clock.now()
    const invite: Invite = {
      id: newInviteId(),
      orgId,
      inviter: this.me,
      rank: r,
      issuedAt: now,
      expiresAt: now + Math.round(hours * 3_600_000),
      bootstrap: input.bootstrap ?? [],
      ...(input.rendezvous === undefined ? {} : { rendezvous: input.rendezvous }),
    }
    const token = signInvite(invite, this.signer)
    await this.store.record(orgId, {
      action: 'invite.create',
      resource: `invite:${orgId}/${invite.id}`,
      details: { rank: r, expiresAt: invite.expiresAt },
    })
    return { token, invite }
  }

  /**
   * Invites of this org, newest first: every member's `invite.create` entry in the org's
   * chains (shared with its members), with its state from the roster. Needs `members:invite` or `members:manage`.
   */
  async listInvites(orgId: string): Promise<InviteView[]> {
    const state = await this.rosters.currentState(orgId)
    requireRead(state, this.me, 'listing invites', 'members:invite', 'members:manage')
    return inviteViews(this.store, orgId, state, this.clock.now())
  }

  /**
   * Revokes an open invite (members:invite): no node admits anyone with it from then on.
   * Returns it as revoked.
   */
  async revokeInvite(orgId: string, inviteId: unknown): Promise<InviteView> {
    const id = parse(
      z.string().regex(/^[0-9a-f]{32}$/, 'must be an invite id (32 hex characters)'),
      inviteId,
      'invite',
    )
    const found = async () =>
      (await inviteViews(this.store, orgId, await this.rosters.currentState(orgId), this.clock.now(), id))[0]
    const invite = await found()
    if (invite === undefined)
      throw (
        lacking(await this.rosters.currentState(orgId), this.me, 'revoking invites', 'members:invite') ??
        new InviteNotFoundError(id)
      )
    if (invite.status === 'revoked') return invite
    await explainRefusal(
      () =>
        this.rosters.change(orgId, { action: 'invite.revoke', resource: `invite:${orgId}/${id}` }, (d) => {
          d.invitesRevoked[id] = this.clock.now()
        }),
      async () =>
        lacking(await this.rosters.currentState(orgId), this.me, 'revoking invites', 'members:invite'),
    )
    return (await found()) ?? invite
  }

  /**
   * Signs this node's request to join the org of `token` as `handle` (what a member's
   * node admits). Checks the input only.
   */
  joinRequest(token: unknown, handleValue: unknown): { invite: Invite; request: Uint8Array } {
    const read = readInvite(token)
    if (!read.ok) throw new InvalidInputError('token', read.reason)
    const h = parse(handle, handleValue, 'handle')
    const request = signJoinRequest(
      { orgId: read.invite.orgId, token: token as string, handle: h },
      this.signer,
      this.clock,
    )
    return { invite: read.invite, request }
  }

  /**
   * Admits a newcomer (this node's member signs the admission): the invite is judged on
   * this node's current roster and clock. `asker`: the key of the peer that asked (the
   * request must be its own) and the org it named. Answers a refusal with a code instead
   * of throwing.
   */
  async admit(packed: Uint8Array, asker?: { member: string; org: string }): Promise<AdmitAnswer> {
    const read = readJoinRequest(packed)
    if (!read.ok) return refuse('bad-request', read.reason)
    const { request, invite } = read
    if (asker !== undefined && asker.member !== request.member)
      return refuse('bad-request', 'the join request is for another key than the one asking')
    if (asker !== undefined && asker.org !== request.orgId)
      return refuse('bad-request', 'the join request is for another org')
    const org = request.orgId
    const notHere = refuse('not-member', 'this node is not a member of that org')
    if (!ORG_ID.test(org) || !(await this.store.has(rosterId(org)))) return notHere
    const state = await this.rosters.currentState(org)
    if (!state.isMember(this.me)) return notHere
    // Already in (e.g. admitted before, and the fetch that followed failed): fetch again.
    if (state.isMember(request.member)) return { ok: true }
    if (state.isKicked(request.member)) return refuse('removed', 'you were removed from this org')
    const problem = inviteProblem(state, invite, this.clock.now())
    if (problem !== null) return refuse(problem.code, problem.reason)
    const newcomer = request.member
    try {
      await this.rosters.change(
        org,
        {
          action: ADMIT_ACTION,
          resource: `member:${org}/${newcomer}`,
          details: { request: joinRequestText(packed) },
        },
        (d) => {
          memberField(d, 'mRank', newcomer)[newcomer] = str(invite.rank)
          memberField(d, 'mHandle', newcomer)[newcomer] = str(request.handle)
          memberField(d, 'mJoined', newcomer)[newcomer] = this.clock.now()
          memberField(d, 'mInvite', newcomer)[newcomer] = str(invite.id)
          d.invitesUsed[invite.id] = str(newcomer)
        },
      )
    } catch (err) {
      if ((err as Error).name !== 'ChangeRefusedError') throw err
      // Another admission with this invite came first (or the rules refuse the request).
      const now = inviteProblem(await this.rosters.currentState(org), invite, this.clock.now())
      return now !== null
        ? refuse(now.code, now.reason)
        : refuse('invalid', (err as Error & { reason: string }).reason)
    }
    return { ok: true }
  }

  /**
   * Joins the org of an invite. All or nothing: the token and handle are checked before
   * anything goes on the network; any member's node found through `transport` may admit
   * this node (judging the invite on its own roster and clock); the org is fetched into a
   * staging area and moved into this node's store only once it holds this node's
   * admission. Whatever fails, the store is left as it was. An invite that was used,
   * revoked or has expired is refused with those words (`InviteRefusedError`). `signal`
   * ends the search; without one it ends after five minutes on the service's clock.
   */
  async accept(
    token: unknown,
    handleValue: unknown,
    transport: JoinTransport,
    signal?: AbortSignal,
  ): Promise<OrgSummary> {
    if (signal !== undefined) return this.acceptWithin(token, handleValue, transport, signal)
    // No deadline given: five minutes on the service's clock.
    const deadline = new AbortController()
    const timer = this.clock.setTimeout(
      () => deadline.abort(new DOMException('timed out after 300000 ms', 'TimeoutError')),
      ACCEPT_TIMEOUT_MS,
    )
    try {
      return await this.acceptWithin(token, handleValue, transport, deadline.signal)
    } finally {
      timer.cancel()
    }
  }

  private async acceptWithin(
    token: unknown,
    handleValue: unknown,
    transport: JoinTransport,
    signal: AbortSignal,
  ): Promise<OrgSummary> {
    const { invite, request } = this.joinRequest(token, handleValue)
    const org = invite.orgId
    if (await this.isMemberOf(org)) return summarizeRoster(await this.rosters.roster(org))
    const errors: string[] = []
    let final: InviteRefusedError | undefined
    const staging = await transport.stage()
    try {
      for await (const target of transport.candidates(invite, signal)) {
        signal.throwIfAborted()
        let answer: JoinAnswer
        try {
          answer = await staging.join(target, org, request, signal)
        } catch (err) {
          signal.throwIfAborted()
          errors.push(`${target}: ${(err as Error).message}`)
          continue
        }
        if (!answer.ok) {
          if (FINAL_REFUSALS.has(answer.code)) {
            const refusal = new InviteRefusedError(answer.code, plain(answer.reason))
            // A node the inviter named is believed at once; one found otherwise (anyone
            // holding the rendezvous may announce itself) only if no other node admits.
            if (invite.bootstrap.includes(target)) throw refusal
            final ??= refusal
          }
          errors.push(`${target}: ${answer.reason}`)
          continue
        }
        if (!(await staging.isMember(org, this.me))) {
          errors.push(`${target}: admitted, but its copy of the org did not arrive whole`)
          continue
        }
        await staging.commit(org, signal)
        if (await this.isMemberOf(org)) return summarizeRoster(await this.rosters.roster(org))
        throw new Error('the staged org did not hold once moved into the store')
      }
    } finally {
      await staging.discard()
    }
    if (final !== undefined) throw final
    throw new InviteRefusedError(
      'unreachable',
      "No member's node of this org could be reached to admit you" +
        ` (${errors.slice(0, 5).join('; ') || 'none found'}). ` +
        'Nothing was changed: once a member of the org has their node online, accept the invite again.',
    )
  }

  /** This node's member's rank (its name) in `state`; null when not a member. */
  private rankName(state: AuthState): string | null {
    return rankNameOf(state, this.me)
  }

  private async isMemberOf(org: string): Promise<boolean> {
    if (!(await this.store.has(rosterId(org)))) return false
    return (await this.rosters.currentState(org)).isMember(this.me)
  }
}

/** A refusal's words as a sentence (a member's node may send them unpunctuated). */
function plain(reason: string): string {
  const r = reason.trim()
  return /[.!?]$/.test(r) ? r : `${r}.`
}

function refuse(code: AdmitRefusalCode, reason: string): AdmitAnswer {
  return { ok: false, code, reason }
}
