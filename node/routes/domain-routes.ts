/**
 * The domain over HTTP: orgs, invites, ships and licenses. Thin: each route parses its
 * body and calls one service method; the services validate input and name the field
 * that is wrong (answered by the API's one error model, node/error-response.ts).
 */
import { Hono } from 'hono'
import type { Mesh } from '../../net/index.ts'
import type { DomainServices } from '../../services/domain.ts'
import { InvalidInputError, type JoinTransport } from '../../services/org/index.ts'

/** The running mesh and this node's addresses (invites carry them). */
export interface MeshView {
  readonly mesh: Mesh
  /** How this node reaches the org's member nodes to be admitted (invite accept). */
  readonly join: JoinTransport
  readonly addresses: string[]
  /**
   * How an invite to `org` reaches it: addresses (this node's, connected members', the
   * configured bootstrap peers') and the org's rendezvous key (hex).
   */
  readonly inviteReach: (org: string) => Promise<{ bootstrap: string[]; rendezvous?: string }>
}

export function domainRoutes(services: () => DomainServices, net: () => MeshView): Hono {
  const api = new Hono()

  api.get('/peers', (c) => {
    const { mesh, addresses } = net()
    return c.json({ addresses, peers: mesh.peers() })
  })

  api.get('/orgs', async (c) => c.json(await services().org.listOrgs()))
  api.post('/orgs', async (c) => {
    const b = await jsonBody(c.req.raw)
    return c.json(
      await services().org.createOrg({
        name: b.name,
        tag: b.tag,
        description: b.description,
        handle: b.handle,
      }),
      201,
    )
  })
  api.get('/orgs/:org', async (c) => c.json(await services().org.getOrg(c.req.param('org'))))
  api.get('/orgs/:org/ranks', async (c) => c.json(await services().org.ranks(c.req.param('org'))))
  api.get('/orgs/:org/members', async (c) => c.json(await services().org.members(c.req.param('org'))))

  api.post('/orgs/:org/invites', async (c) => {
    const b = await jsonBody(c.req.raw)
    const org = c.req.param('org')
    const { token, invite } = await services().invites.createInvite(org, {
      rank: b.rank,
      ...(await net().inviteReach(org)),
      ...(b.expiresInHours === undefined ? {} : { expiresInHours: b.expiresInHours }),
    })
    return c.json({ token, invite }, 201)
  })
  api.get('/orgs/:org/invites', async (c) => c.json(await services().invites.listInvites(c.req.param('org'))))
  api.post('/invites/accept', async (c) => {
    const b = await jsonBody(c.req.raw)
    // Any member's node admits this one (judging the invite on its roster and clock); the
    // org is fetched into a staging area and kept only once it holds the admission.
    const joined = await services().invites.accept(b.token, b.handle, net().join)
    void net().mesh.syncAll()
    return c.json(joined)
  })

  api.get('/orgs/:org/ships', async (c) => {
    const all = c.req.query('all') === '1'
    const fleet = services().fleet
    const org = c.req.param('org')
    return c.json(await fleet.ships(org, all ? {} : { owner: services().org.me }))
  })
  api.post('/orgs/:org/ships', async (c) => {
    const b = await jsonBody(c.req.raw)
    return c.json(await services().fleet.addShip(c.req.param('org'), b), 201)
  })

  api.get('/licenses', async (c) => {
    const licenses = services().licenses
    return c.json({ orgs: await licenses.statusAll(), revocations: await licenses.revocations() })
  })
  api.put('/orgs/:org/license', async (c) => {
    const b = await jsonBody(c.req.raw)
    return c.json(await services().licenses.install(c.req.param('org'), b.text as string))
  })
  api.post('/license/revocations', async (c) => {
    const b = await jsonBody(c.req.raw)
    return c.json(await services().licenses.installRevocations(b.text as string))
  })
  api.post('/license/clock-reset', async (c) => {
    const b = await jsonBody(c.req.raw)
    return c.json(await services().licenses.resetClock(b.confirm === true))
  })

  return api
}

/** A JSON object body, or a 400. Its size is bounded while reading (api.ts, 413). */
async function jsonBody(req: Request): Promise<Record<string, unknown>> {
  const text = await req.text()
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new InvalidInputError('body', 'not JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidInputError('body', 'must be a JSON object')
  return value as Record<string, unknown>
}
