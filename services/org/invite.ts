/**
 * Invite tokens: signed by a member with `members:invite`, carried in the newcomer's
 * signed join request, which the admitting member's entry carries (see
 * admission-rules.ts), so every node can check it with no officer online.
 * Text form: `vginv1.` + base64url(signature ‖ canonical bytes).
 *
 * What lets a newcomer reach the org with the inviter gone: the inviter's peer id (its
 * member key's: `peerIdOf(invite.inviter)`), the org's rendezvous (the DHT key its member
 * nodes announce themselves under) and bootstrap addresses. Tokens made before the
 * rendezvous existed have none and still read (admission entries carry them for good).
 */
import { randomBytes } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import {
  bytesEqual,
  ed25519Verify,
  fromHex,
  isMemberKey,
  type MemberKey,
  type Signer,
  toHex,
} from '../../crdt/index.ts'

export const INVITE_DOMAIN = new TextEncoder().encode('verseguy/invite/v1\n')
const PREFIX = 'vginv1.'
const MAX_TOKEN_CHARS = 8192

export interface Invite {
  /** Single-use id (16 random bytes, hex); recorded in the roster when used. */
  readonly id: string
  readonly orgId: string
  readonly inviter: MemberKey
  /** Rank granted on joining; must be below the inviter's level. */
  readonly rank: string
  readonly issuedAt: number
  readonly expiresAt: number
  /** Multiaddrs of nodes to reach the org through. */
  readonly bootstrap: readonly string[]
  /**
   * The org's rendezvous key (32 bytes, hex): its member nodes announce themselves under
   * it in the DHT, so any one online can be found. Absent in tokens from before it existed.
   */
  readonly rendezvous?: string
}

/** Bytes of a rendezvous key. */
export const RENDEZVOUS_BYTES = 32

export type InviteResult = { ok: true; invite: Invite } | { ok: false; reason: string }

function encodeBody(invite: Invite): Uint8Array {
  const body = dagCbor.encode({
    id: fromHex(invite.id),
    orgId: invite.orgId,
    inviter: fromHex(invite.inviter),
    rank: invite.rank,
    issuedAt: invite.issuedAt,
    expiresAt: invite.expiresAt,
    bootstrap: [...invite.bootstrap],
    ...(invite.rendezvous === undefined ? {} : { rendezvous: fromHex(invite.rendezvous) }),
  })
  const out = new Uint8Array(INVITE_DOMAIN.length + body.length)
  out.set(INVITE_DOMAIN)
  out.set(body, INVITE_DOMAIN.length)
  return out
}

export function newInviteId(): string {
  return randomBytes(16).toString('hex')
}

/** Signs an invite into its text token. */
export function signInvite(invite: Invite, signer: Signer): string {
  if (invite.inviter !== signer.memberKey) throw new TypeError('the inviter must be the signer')
  const bytes = encodeBody(invite)
  const sig = signer.sign(bytes)
  const packed = new Uint8Array(sig.length + bytes.length)
  packed.set(sig)
  packed.set(bytes, sig.length)
  return PREFIX + Buffer.from(packed).toString('base64url')
}

/** Decodes a token and checks its form and signature (not the org's rules). Never throws. */
export function readInvite(token: unknown): InviteResult {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS || !token.startsWith(PREFIX)) {
    return { ok: false, reason: 'not an invite token' }
  }
  const packed = new Uint8Array(Buffer.from(token.slice(PREFIX.length), 'base64url'))
  if (packed.length < 64 + INVITE_DOMAIN.length) return { ok: false, reason: 'invite token too short' }
  const sig = packed.subarray(0, 64)
  const bytes = packed.subarray(64)
  if (!bytesEqual(bytes.subarray(0, INVITE_DOMAIN.length), INVITE_DOMAIN))
    return { ok: false, reason: 'not an invite token' }
  let raw: Record<string, unknown>
  try {
    raw = dagCbor.decode(bytes.subarray(INVITE_DOMAIN.length)) as Record<string, unknown>
  } catch {
    return { ok: false, reason: 'invite token does not decode' }
  }
  const { id, orgId, inviter, rank, issuedAt, expiresAt, bootstrap, rendezvous } = raw ?? {}
  if (
    !(id instanceof Uint8Array) ||
    id.length !== 16 ||
    typeof orgId !== 'string' ||
    !(inviter instanceof Uint8Array) ||
    typeof rank !== 'string' ||
    !Number.isSafeInteger(issuedAt) ||
    !Number.isSafeInteger(expiresAt) ||
    !Array.isArray(bootstrap) ||
    bootstrap.length > 16 ||
    !bootstrap.every((b) => typeof b === 'string' && b.length < 512) ||
    (rendezvous !== undefined &&
      !(rendezvous instanceof Uint8Array && rendezvous.length === RENDEZVOUS_BYTES)) ||
    Object.keys(raw).length !== (rendezvous === undefined ? 7 : 8)
  ) {
    return { ok: false, reason: 'invite token is malformed' }
  }
  const inviterKey = toHex(inviter)
  if (!isMemberKey(inviterKey)) return { ok: false, reason: 'invite token is malformed' }
  const invite: Invite = {
    id: toHex(id),
    orgId,
    inviter: inviterKey,
    rank,
    issuedAt: issuedAt as number,
    expiresAt: expiresAt as number,
    bootstrap: bootstrap as string[],
    ...(rendezvous instanceof Uint8Array ? { rendezvous: toHex(rendezvous) } : {}),
  }
  if (!bytesEqual(encodeBody(invite), bytes)) return { ok: false, reason: 'invite token is not canonical' }
  if (!ed25519Verify(inviter, bytes, sig)) return { ok: false, reason: 'invite signature does not verify' }
  return { ok: true, invite }
}
