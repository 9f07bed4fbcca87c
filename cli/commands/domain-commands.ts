/**
 * `verseguy org|invite|ship …`: the org's everyday tasks, through the node's API (the
 * running node, or one started for the command). Reads take `--json`.
 */
import type { Command } from 'commander'
import { cliHint } from '../../node/cli-hint.ts'
import type { NodeStatus, OrgSummary, RankView, ShipSummary, ShipView } from '../../node/index.ts'
import { INSURANCE } from '../../node/light.ts'
import { CliError } from '../errors.ts'
import { type ApiClient, withNode } from '../node-client.ts'
import { number, oneOf } from '../options.ts'
import { printJson, printLines } from '../output.ts'

/** The longest an invite may stay valid: a year. */
const MAX_INVITE_HOURS = 24 * 365

interface Common {
  passphraseFile?: string
  org?: string
  json?: boolean
}

export function registerDomainCommands(program: Command): void {
  const dataDir = () => program.opts<{ dataDir?: string }>().dataDir
  const run = <T>(opts: Common, fn: (api: ApiClient) => Promise<T>) => withNode(dataDir(), opts, fn)
  const common = (cmd: Command, withOrg = true) => {
    cmd
      .option('--passphrase-file <file>', 'when no node runs: read the passphrase from a file')
      .option('--json', 'print JSON')
    if (withOrg) cmd.option('--org <id>', 'the org (default: the only org on this node)')
    return cmd
  }

  const org = program.command('org').description('orgs on this node')
  common(
    org
      .command('create')
      .description('found an org: you become its Leader')
      .requiredOption('--name <name>', '3 to 64 characters, unique on this node')
      .requiredOption('--tag <tag>', '2 to 5 upper-case letters or digits')
      .option('--description <text>', 'what the org is about')
      .option('--handle <handle>', 'your RSI handle in the org (default: Member_ and your key)'),
    false,
  ).action(async (opts: Common & { name: string; tag: string; description?: string; handle?: string }) => {
    const created = await run(opts, async (api) =>
      api.request<OrgSummary>('POST', '/api/v1/orgs', {
        name: opts.name,
        tag: opts.tag,
        description: opts.description,
        handle: opts.handle ?? (await defaultHandle(api)),
      }),
    )
    if (opts.json) printJson(created)
    else printLines([`Created org ${created.name} [${created.tag}] (${created.id}); you are its Leader.`])
  })
  common(org.command('list').description('orgs this node holds'), false).action(async (opts: Common) => {
    const orgs = await run(opts, (api) => api.request<OrgSummary[]>('GET', '/api/v1/orgs'))
    if (opts.json) printJson(orgs)
    else
      printLines(
        orgs.length === 0
          ? [`No orgs yet: ${cliHint('org create --name N --tag T', dataDir())}`]
          : orgs.map(orgLine),
      )
  })

  const invite = program.command('invite').description('invites into an org')
  common(
    invite
      .command('create')
      .description('a signed, single-use invite for a rank below yours')
      .requiredOption('--rank <rank>', 'rank id or name, e.g. Member')
      .option(
        '--hours <n>',
        'valid for this many hours, more than 0 (default 72)',
        number('--hours', { above: 0, max: MAX_INVITE_HOURS }),
      ),
  ).action(async (opts: Common & { rank: string; hours?: number }) => {
    const out = await run(opts, async (api) => {
      const orgId = await resolveOrg(api, opts.org, dataDir())
      const rank = await resolveRank(api, orgId, opts.rank)
      return api.request<{ token: string; invite: { expiresAt: number } }>(
        'POST',
        `/api/v1/orgs/${orgId}/invites`,
        {
          rank,
          ...(opts.hours === undefined ? {} : { expiresInHours: opts.hours }),
        },
      )
    })
    if (opts.json) printJson({ token: out.token, expiresAt: out.invite.expiresAt })
    else printLines([out.token, `(single use; expires ${new Date(out.invite.expiresAt).toISOString()})`])
  })
  common(
    invite
      .command('accept')
      .description("join an org with an invite token: any member's node online admits you")
      .argument('<token>', 'the invite token (vginv1.…)')
      .option('--handle <handle>', 'your RSI handle in the org (default: Member_ and your key)'),
    false,
  ).action(async (token: string, opts: Common & { handle?: string }) => {
    const joined = await run(opts, async (api) =>
      api.request<OrgSummary>('POST', '/api/v1/invites/accept', {
        token,
        handle: opts.handle ?? (await defaultHandle(api)),
      }),
    )
    if (opts.json) printJson(joined)
    else printLines([`Joined ${joined.name} [${joined.tag}] (${joined.id}).`])
  })

  const ship = program.command('ship').description('ships in your hangar and the org fleet')
  common(
    ship
      .command('add')
      .description('add a ship to your hangar')
      .requiredOption('--model <model>', 'e.g. Cutlass Black')
      .requiredOption('--manufacturer <name>', 'e.g. Drake Interplanetary')
      .option('--name <name>', "the ship's own name")
      .option('--cost <usd>', 'pledge cost', number('--cost', { min: 0 }))
      .option('--insurance <kind>', INSURANCE.join(', '), oneOf('--insurance', INSURANCE))
      .option('--location <place>', 'where it is parked'),
  ).action(
    async (
      opts: Common & {
        model: string
        manufacturer: string
        name?: string
        cost?: number
        insurance?: string
        location?: string
      },
    ) => {
      const added = await run(opts, async (api) => {
        const orgId = await resolveOrg(api, opts.org, dataDir())
        const { model, manufacturer, name, cost, insurance, location } = opts
        const body = Object.fromEntries(
          Object.entries({ model, manufacturer, name, cost, insurance, location }).filter(
            ([, v]) => v !== undefined,
          ),
        )
        return api.request<ShipView>('POST', `/api/v1/orgs/${orgId}/ships`, body)
      })
      if (opts.json) printJson(added)
      else printLines([`Added ${added.model} (${added.id}) to your hangar.`])
    },
  )
  common(
    ship
      .command('list')
      .description('your ships, or with --all every member ship you may see')
      .option('--all', "every member's ships"),
  ).action(async (opts: Common & { all?: boolean }) => {
    const ships = await run(opts, async (api) => {
      const orgId = await resolveOrg(api, opts.org, dataDir())
      return api.request<ShipSummary[]>('GET', `/api/v1/orgs/${orgId}/ships${opts.all ? '?all=1' : ''}`)
    })
    if (opts.json) printJson(ships)
    else
      printLines(
        ships.length === 0
          ? ['No ships.']
          : ships.map(
              (s) =>
                `${s.model.padEnd(24)} ${s.manufacturer.padEnd(24)} ${s.status.padEnd(12)} ${s.owner.slice(0, 12)}`,
            ),
      )
  })
}

interface PeersView {
  addresses: string[]
  peers: {
    peerId: string
    memberKey: string | null
    connected: boolean
    lastSync: number | null
    weWereBehind: number
    peerWasBehind: number
    lastError: string | null
    banned: boolean
    /** Orgs the peer says this node's member was removed from. */
    removedFrom?: string[]
  }[]
}

/** `verseguy peers`: this node's addresses and every peer's sync state. */
export function registerPeers(program: Command): void {
  program
    .command('peers')
    .description("this node's addresses and each peer: connected, last sync, how far behind")
    .option('--passphrase-file <file>', 'when no node runs: read the passphrase from a file')
    .option('--json', 'print JSON')
    .action(async (opts: Common) => {
      const view = await withNode(program.opts<{ dataDir?: string }>().dataDir, opts, (api) =>
        api.request<PeersView>('GET', '/api/v1/peers'),
      )
      if (opts.json) {
        printJson(view)
        return
      }
      const removed = [...new Set(view.peers.flatMap((p) => p.removedFrom ?? []))]
      printLines([
        ...removed.map(
          (org) => `You were removed from org ${org}: its members no longer sync it with this node.`,
        ),
        'Listening on:',
        ...view.addresses.map((a) => `  ${a}`),
        view.peers.length === 0 ? 'No peers yet.' : 'Peers:',
        ...view.peers.map(
          (p) =>
            `  ${p.peerId.slice(0, 16)}…  ${p.banned ? 'banned   ' : p.connected ? 'connected' : 'gone     '}  ` +
            `last sync ${p.lastSync === null ? 'never' : new Date(p.lastSync).toISOString()}  ` +
            `received ${p.weWereBehind}, sent ${p.peerWasBehind}${p.lastError ? `  (${p.lastError})` : ''}`,
        ),
      ])
    })
}

function orgLine(o: OrgSummary): string {
  return `${o.id}  ${o.name} [${o.tag}]  ${o.memberCount} members${o.deleted ? ' (deleted)' : ''}`
}

async function defaultHandle(api: ApiClient): Promise<string> {
  const status = await api.request<NodeStatus>('GET', '/api/v1/status')
  return `Member_${(status.memberKey ?? '').slice(0, 8)}`
}

/** The org named, or the node's only live org. */
async function resolveOrg(
  api: ApiClient,
  given: string | undefined,
  dataDir: string | undefined,
): Promise<string> {
  if (given !== undefined) return given
  const live = (await api.request<OrgSummary[]>('GET', '/api/v1/orgs')).filter((o) => !o.deleted)
  if (live.length === 1) return (live[0] as OrgSummary).id
  throw new CliError(
    live.length === 0
      ? `This node holds no org yet: create one (${cliHint('org create --name N --tag T', dataDir)}) or accept an invite (${cliHint('invite accept TOKEN', dataDir)}).`
      : `This node holds ${live.length} orgs: choose one with --org (${cliHint('org list', dataDir)} lists them).`,
  )
}

/** A rank by id or by name, any case. */
async function resolveRank(api: ApiClient, orgId: string, given: string): Promise<string> {
  const ranks = await api.request<RankView[]>('GET', `/api/v1/orgs/${orgId}/ranks`)
  const want = given.toLowerCase()
  const rank = ranks.find((r) => r.id === want || r.name.toLowerCase() === want)
  if (rank === undefined)
    throw new CliError(`No rank ${given}; ranks: ${ranks.map((r) => r.name).join(', ')}`)
  return rank.id
}
