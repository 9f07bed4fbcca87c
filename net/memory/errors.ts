/** Errors of the in-memory network. */

/** A refused dial: the peer is unknown, banned, stopped, or across a partition. */
export class DialRefusedError extends Error {
  override name = 'DialRefusedError'
}

/** No open connection to the peer, or it does not speak the protocol. */
export class StreamRefusedError extends Error {
  override name = 'StreamRefusedError'
}
