/**
 * Messages of the admission protocol, one per length-prefixed frame, in deterministic
 * DAG-CBOR: a newcomer's join request (opaque signed bytes to net/) and the answer.
 * Small and exact: anything else is a protocol error that ends the exchange.
 */
import * as dagCbor from '@ipld/dag-cbor'

export const ADMIT_PROTOCOL = '/verseguy/admit/1.0.0'

export const ADMIT_LIMITS = {
  /** One frame on the wire. */
  maxFrameBytes: 16 * 1024,
  /** The signed join request (it carries the invite token). */
  maxRequestBytes: 12 * 1024,
  maxReason: 500,
  maxCode: 32,
} as const

/** A newcomer asks to be admitted into `org`. */
export interface AdmitRequest {
  readonly t: 'admit'
  readonly org: string
  readonly request: Uint8Array
}
export interface AdmitOk {
  readonly t: 'ok'
}
/** Not admitted: `code` is for the newcomer's node (e.g. `used`, `expired`, `not-member`), `reason` for people. */
export interface AdmitNo {
  readonly t: 'no'
  readonly code: string
  readonly reason: string
}
export type AdmitMessage = AdmitRequest | AdmitOk | AdmitNo

export class AdmitProtocolError extends Error {
  override name = 'AdmitProtocolError'
}

const ORG = /^[0-9a-f]{32}$/
const CODE = /^[a-z][a-z-]*$/

export function encodeAdmitMessage(m: AdmitMessage): Uint8Array {
  return dagCbor.encode(m)
}

export function decodeAdmitMessage(bytes: Uint8Array): AdmitMessage {
  if (bytes.length > ADMIT_LIMITS.maxFrameBytes) throw new AdmitProtocolError('frame too large')
  let v: unknown
  try {
    v = dagCbor.decode(bytes)
  } catch {
    throw new AdmitProtocolError('frame does not decode')
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new AdmitProtocolError('frame is not a message')
  const m = v as Record<string, unknown>
  const keys = Object.keys(m).sort().join(',')
  switch (m.t) {
    case 'admit':
      if (
        keys !== 'org,request,t' ||
        typeof m.org !== 'string' ||
        !ORG.test(m.org) ||
        !(m.request instanceof Uint8Array) ||
        m.request.length > ADMIT_LIMITS.maxRequestBytes
      )
        throw new AdmitProtocolError('malformed admission request')
      return { t: 'admit', org: m.org, request: m.request }
    case 'ok':
      if (keys !== 't') throw new AdmitProtocolError('malformed answer')
      return { t: 'ok' }
    case 'no':
      if (
        keys !== 'code,reason,t' ||
        typeof m.code !== 'string' ||
        m.code.length > ADMIT_LIMITS.maxCode ||
        !CODE.test(m.code) ||
        typeof m.reason !== 'string' ||
        m.reason.length > ADMIT_LIMITS.maxReason
      )
        throw new AdmitProtocolError('malformed refusal')
      return { t: 'no', code: m.code, reason: m.reason }
    default:
      throw new AdmitProtocolError('unknown message type')
  }
}
