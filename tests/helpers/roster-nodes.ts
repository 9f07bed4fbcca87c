/**
 * An org on real in-process nodes for the members, ranks and invites tests: a leader that
 * founds it (trusting the test license issuer) and members who join it through the API
 * (an invite from the leader, accepted on their node), as people would.
 */
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { OrgSummary } from '../../node/index.ts'
import { publicKeyOf } from '../../services/licensing/index.ts'
import { issueLicense, testIssuer } from './license.ts'
import type { Nodes, TestNode, TestNodeConfig } from './start-nodes.ts'

export interface RosterOrg {
  readonly leader: TestNode
  readonly org: OrgSummary
  /** `/api/v1/orgs/<org>` */
  readonly path: string
}

/** Config trusting the test issuer (licenses from tests/helpers/license.ts install). */
export async function trustingTestIssuer(): Promise<TestNodeConfig> {
  const pub = join(await mkdtemp(join(tmpdir(), 'vg-issuer-')), 'test-issuer.pub')
  await writeFile(pub, JSON.stringify(publicKeyOf(testIssuer)))
  return { license: { trust: [pub] } }
}

/** A leader node founding an org named `name`. */
export async function foundOrg(nodes: Nodes, name: string, config: TestNodeConfig = {}): Promise<RosterOrg> {
  const leader = await nodes.start('leader', config)
  const org = await leader.api<OrgSummary>('POST', '/api/v1/orgs', {
    name,
    tag: 'TST',
    handle: 'Lead_A',
  })
  return { leader, org, path: `/api/v1/orgs/${org.id}` }
}

/** A new node joining the org with rank `rank` as `handle` (invited by the leader). */
export async function joinOrg(nodes: Nodes, o: RosterOrg, rank: string, handle: string): Promise<TestNode> {
  const node = await nodes.start(handle.toLowerCase())
  const { token } = await o.leader.api<{ token: string }>('POST', `${o.path}/invites`, { rank })
  await node.api('POST', '/api/v1/invites/accept', { token, handle })
  return node
}

/** Installs a license of `tier` for the org on the leader's node. */
export async function license(o: RosterOrg, tier: 'pro' | 'enterprise' = 'pro'): Promise<void> {
  await o.leader.api('PUT', `${o.path}/license`, { text: issueLicense(o.org, tier) })
}

/** The member key of a node. */
export async function keyOf(t: TestNode): Promise<string> {
  return (await t.api<{ memberKey: string }>('GET', '/api/v1/status')).memberKey
}
