/**
 * A newcomer's join request: signed with the key it asks to join with, naming the org,
 * the invite token and its handle. A member's node admits it (see admission.ts) and the
 * admission entry carries the request, so every node can check that the newcomer asked
 * for exactly this. Its time is informational: whether the invite is still good is
 * judged on the admitting member's clock and roster, never the newcomer's.
 * Text form: `vgjoin1.` + base64url(signature ‖ domain ‖ canonical DAG-CBOR).
 */
import { randomBytes } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import {
  bytesEqual,
  type Clock,
  ed25519Verify,
  fromHex,
  isMemberKey,
  type MemberKey,
  type Signer,
  systemClock,
  toHex,
} from '../../crdt/index.ts'
import { type Invite, readInvite } from './invite.ts'

export const JOIN_REQUEST_DOMAIN = new TextEncoder().encode('verseguy/join-request/v1\n')
const PREFIX = 'vgjoin1.'
/** Bytes of a packed request at most (the invite token is at most 8192 characters). */
export const MAX_JOIN_REQUEST_BYTES = 12 * 1024

export interface JoinRequest {
  readonly orgId: string
  /** The invite token, as the inviter signed it. */
  readonly token: string
  readonly member: MemberKey
  readonly handle: string
  /** The newcomer's clock: informational only. */
  readonly time: number
  /** 16 random bytes, hex: two requests never have the same bytes. */
  readonly nonce: string
}

export type JoinRequestResult =
  | { ok: true; request: JoinRequest; invite: Invite; packed: Uint8Array }
  | { ok: false; reason: string }

function encodeBody(r: JoinRequest): Uint8Array {
  const body = dagCbor.encode({
    orgId: r.orgId,
    token: r.token,
    member: fromHex(r.member),
    handle: r.handle,
    time: r.time,
    nonce: fromHex(r.nonce),
  })
  const out = new Uint8Array(JOIN_REQUEST_DOMAIN.length + body.length)
  out.set(JOIN_REQUEST_DOMAIN)
  out.set(body, JOIN_REQUEST_DOMAIN.length)
  return out
}

/** Signs a request to join with `signer`'s key, at `clock`'s time; returns the packed bytes. */
export function signJoinRequest(
  input: { orgId: string; token: string; handle: string },
  signer: Signer,
  clock: Clock = systemClock,
): Uint8Array {
  const request: JoinRequest = {
    ...input,
    member: signer.memberKey,
    time: clock.now(),
    nonce: randomBytes(16).toString('hex'),
  }
  const bytes = encodeBody(request)
  const sig = signer.sign(bytes)
  const packed = new Uint8Array(sig.length + bytes.length)
  packed.set(sig)
  packed.set(bytes, sig.length)
  return packed
}

export function joinRequestText(packed: Uint8Array): string {
  return PREFIX + Buffer.from(packed).toString('base64url')
}

/** Reads the text form (as an admission entry's details carry it). Never throws. */
export function readJoinRequestText(text: unknown): JoinRequestResult {
  if (typeof text !== 'string' || !text.startsWith(PREFIX) || text.length > MAX_JOIN_REQUEST_BYTES * 2)
    return { ok: false, reason: 'not a join request' }
  return readJoinRequest(new Uint8Array(Buffer.from(text.slice(PREFIX.length), 'base64url')))
}

/**
 * Decodes packed request bytes and checks their form, the newcomer's signature and the
 * invite's own signature (not whether the invite is still good). Never throws.
 */
export function readJoinRequest(packed: Uint8Array): JoinRequestResult {
  if (packed.length > MAX_JOIN_REQUEST_BYTES) return { ok: false, reason: 'join request too large' }
  if (packed.length < 64 + JOIN_REQUEST_DOMAIN.length) return { ok: false, reason: 'join request too short' }
  const sig = packed.subarray(0, 64)
  const bytes = packed.subarray(64)
  if (!bytesEqual(bytes.subarray(0, JOIN_REQUEST_DOMAIN.length), JOIN_REQUEST_DOMAIN))
    return { ok: false, reason: 'not a join request' }
  let raw: Record<string, unknown>
  try {
    raw = dagCbor.decode(bytes.subarray(JOIN_REQUEST_DOMAIN.length)) as Record<string, unknown>
  } catch {
    return { ok: false, reason: 'join request does not decode' }
  }
  const { orgId, token, member, handle, time, nonce } = raw ?? {}
  if (
    typeof raw !== 'object' ||
    Object.keys(raw).length !== 6 ||
    typeof orgId !== 'string' ||
    typeof token !== 'string' ||
    !(member instanceof Uint8Array) ||
    member.length !== 32 ||
    typeof handle !== 'string' ||
    handle.length > 64 ||
    !Number.isSafeInteger(time) ||
    !(nonce instanceof Uint8Array) ||
    nonce.length !== 16
  ) {
    return { ok: false, reason: 'join request is malformed' }
  }
  const memberKey = toHex(member)
  if (!isMemberKey(memberKey)) return { ok: false, reason: 'join request is malformed' }
  const request: JoinRequest = {
    orgId,
    token,
    member: memberKey,
    handle,
    time: time as number,
    nonce: toHex(nonce),
  }
  if (!bytesEqual(encodeBody(request), bytes)) return { ok: false, reason: 'join request is not canonical' }
  if (!ed25519Verify(member, bytes, sig))
    return { ok: false, reason: "the join request's signature does not verify" }
  const invite = readInvite(token)
  if (!invite.ok) return { ok: false, reason: `the join request's invite: ${invite.reason}` }
  if (invite.invite.orgId !== orgId) return { ok: false, reason: 'the invite is for another org' }
  return { ok: true, request, invite: invite.invite, packed }
}
