/**
 * Accepting an invite, below the HTTP layer (the API route, the CLI through it, and the UI
 * call this one function): the token and handle are judged first; then any member's node
 * the invite's bootstrap addresses (or the search after them) reach admits this one, the
 * org is fetched into a staging area and kept only once it holds the admission; then the
 * mesh syncs with the org's members.
 *
 * The network is asked for only once it is needed: a bad token is refused, and an org this
 * node already belongs to answered, on a node that is not running as on one that is.
 */
import type { InviteService, JoinTransport, OrgSummary } from '../../services/org/index.ts'

/** The running network, as accepting needs it; throws `NodeNotRunningError` where none runs. */
export interface AcceptNetwork {
  /** How this node reaches the org's member nodes to be admitted. */
  readonly join: JoinTransport
  readonly mesh: { syncAll(): Promise<void> }
}

export interface AcceptInviteDeps {
  readonly invites: InviteService
  readonly network: () => AcceptNetwork
}

export async function acceptInvite(
  deps: AcceptInviteDeps,
  input: { readonly token: unknown; readonly handle: unknown; readonly signal?: AbortSignal },
): Promise<OrgSummary> {
  let reached: AcceptNetwork | null = null
  const network = (): AcceptNetwork => {
    reached ??= deps.network()
    return reached
  }
  const transport: JoinTransport = {
    candidates: (invite, signal) => network().join.candidates(invite, signal),
    stage: () => network().join.stage(),
  }
  const joined = await deps.invites.accept(input.token, input.handle, transport, input.signal)
  // Joined over the network: the rest of the org arrives from its members (in the background).
  if (reached !== null) void (reached as AcceptNetwork).mesh.syncAll().catch(() => {})
  return joined
}
