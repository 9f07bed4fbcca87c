/**
 * The scale bench's org, built as an org's history happens: members join one by one,
 * each by an invite of its own that the leader's node admits; they add their ships one
 * `ship.add` change at a time over many rounds; the leader plans operations and members
 * sign up for them, many at once. Every member writes with its own key and chain (see
 * scale-member.ts) and the leader's node takes their changes through its sync path, the
 * org's rules judging each one.
 */
import * as A from '@automerge/automerge'
import {
  type ChangeHash,
  Database,
  type DocId,
  DocumentStore,
  parseDocId,
  type RemoteBatch,
} from '../crdt/index.ts'
import { initDataDir, layout } from '../node/index.ts'
import { DOMAIN_INDEXERS, domainServices, domainValidator, scopeOfDoc } from '../services/domain.ts'
import { HANGAR_SCHEMA, type HangarDoc, hangarId, type ShipRecord } from '../services/fleet/index.ts'
import { MemberIdentity } from '../services/identity/index.ts'
import { type OperationDoc, opDocId } from '../services/operations/index.ts'
import { signJoinRequest } from '../services/org/join-request.ts'
import { type Made, MemberDevice } from './scale-member.ts'

export interface HistoryShape {
  readonly members: number
  /** Rounds over which members join (ships and sign-ups go on after). */
  readonly joinRounds: number
  readonly operations: number
  /** Sign-ups per operation, from `min` to `max`. */
  readonly signUps: { readonly min: number; readonly max: number }
}

export interface History {
  readonly orgId: string
  readonly members: number
  readonly ships: number
  readonly operations: number
  readonly signUps: number
  /** Entries the leader's node took from members through its sync path. */
  readonly received: number
}

const S = (v: string) => new A.ImmutableString(v)
const MAKERS = ['Anvil', 'Aegis', 'Drake', 'MISC', 'RSI', 'Origin', 'Crusader', 'Argo']
const STATUS = ['available', 'in-use', 'maintenance', 'destroyed', 'unknown']
const ROLES = ['miner', 'pilot', 'gunner', 'medic', 'engineer']
/** Entries per delivery to the leader's node (a sync round's size). */
const DELIVERY = 2_000

interface Member {
  readonly device: MemberDevice
  readonly index: number
  /** Ships still to add. */
  toAdd: number
  hasHangar: boolean
  /** Its hangar as its node holds it, until the leader's node has taken its changes. */
  hangar: A.Doc<HangarDoc> | null
}

interface PlannedOp {
  readonly docId: DocId
  readonly opId: string
  /** Members still to sign up, a share per round. */
  readonly queue: Member[]
  readonly perRound: number
}

export async function buildHistory(
  dir: string,
  passphrase: string,
  shape: HistoryShape,
  progress: (line: string) => void = () => {},
): Promise<History> {
  await initDataDir(dir, passphrase)
  const identity = await MemberIdentity.unlock(layout(dir).identity, passphrase)
  const db = await Database.open(layout(dir).db)
  const validator = domainValidator(() => store)
  const store: DocumentStore = new DocumentStore(
    { db, signer: identity, validator, indexers: DOMAIN_INDEXERS, scopeOfDoc },
    { sync: false },
  )
  await store.start()
  const { org, invites, ops } = domainServices({ store, signer: identity, validator })
  const created = await org.createOrg({ name: 'Scale Org', tag: 'SCALE', handle: 'Scale_Lead' })
  const orgId = created.id
  const rosterDoc = parseDocId(`org:${orgId}`)
  const rosterHeads = async () => A.getHeads(await store.get(rosterDoc)) as ChangeHash[]

  const members: Member[] = []
  const planned: PlannedOp[] = []
  let ships = 0
  let signUps = 0
  let received = 0
  let outbox: Made[] = []
  const deliver = async () => {
    for (let i = 0; i < outbox.length; i += DELIVERY) {
      const part = outbox.slice(i, i + DELIVERY)
      const batch: RemoteBatch = { entries: part.map((m) => m.entry), changes: part.map((m) => m.change) }
      const result = await store.receive(batch)
      if (result.rejected.length > 0 || result.waiting.length > 0)
        throw new Error(`the leader's node refused members' changes: ${JSON.stringify(result.rejected[0])}`)
      received += part.length
    }
    outbox = []
    for (const m of members) {
      if (m.hangar !== null) A.free(m.hangar)
      m.hangar = null
    }
  }

  const perRound = Math.ceil(shape.members / shape.joinRounds)
  for (let round = 0; ; round++) {
    // Newcomers: an invite each from the leader, a signed join request, the leader's admission.
    const t0 = performance.now()
    const joining = Math.min(perRound, shape.members - members.length)
    for (let j = 0; j < joining; j++) {
      const index = members.length
      const device = new MemberDevice()
      const { token } = await invites.createInvite(orgId, { rank: index % 10 === 0 ? 'officer' : 'member' })
      const request = signJoinRequest({ orgId, token, handle: `Pilot_${index}` }, device)
      const answer = await invites.admit(request)
      if (!answer.ok) throw new Error(`member ${index} was not admitted: ${answer.reason}`)
      // 1 to 9 ships each, 5 on average.
      members.push({ device, index, toAdd: 1 + ((index * 4) % 9), hasHangar: false, hangar: null })
    }
    const t1 = performance.now()
    const heads = await rosterHeads()
    // Ships: every member with ships still to add adds one or two (a change each).
    for (const m of members) {
      for (let k = 0; k < 1 + ((m.index + round) % 2) && m.toAdd > 0; k++) {
        outbox.push(await addShip(store, orgId, m, heads, ships))
        ships++
      }
    }
    // Operations: the leader plans them over the joining rounds; members sign up over two rounds.
    const due = Math.min(shape.operations, Math.ceil(((round + 1) * shape.operations) / shape.joinRounds))
    while (planned.length < due) {
      const k = planned.length
      const op = await ops.createOperation(orgId, {
        title: `Operation ${k}`,
        type: 'mining',
        scheduledAt: Date.now() + (k + 1) * 86_400_000,
        durationMin: 120,
      })
      const size = Math.min(
        members.length,
        shape.signUps.min + ((k * 97) % (shape.signUps.max - shape.signUps.min + 1)),
      )
      const queue = pick(members, size, k)
      planned.push({
        docId: opDocId(orgId, op.id),
        opId: op.id,
        queue,
        perRound: Math.ceil(size / 2),
      })
    }
    for (const op of planned) {
      if (op.queue.length === 0) continue
      // Concurrent sign-ups: each member's node holds the operation as of this round.
      const base = await store.get<OperationDoc>(op.docId)
      for (const m of op.queue.splice(0, op.perRound)) {
        outbox.push(signUp(orgId, op, m, base, heads, signUps))
        signUps++
      }
    }
    const t2 = performance.now()
    await deliver()
    const ms = (a: number, b: number) => `${((b - a) / 1000).toFixed(1)} s`
    progress(
      `round ${round + 1}: ${members.length} members, ${ships} ships, ${planned.length} operations, ` +
        `${signUps} sign-ups (admissions ${ms(t0, t1)}, members' changes ${ms(t1, t2)}, ` +
        `taken in ${ms(t2, performance.now())})`,
    )
    const busy = members.some((m) => m.toAdd > 0) || planned.some((op) => op.queue.length > 0)
    if (members.length >= shape.members && planned.length >= shape.operations && !busy) break
  }
  await store.stop()
  await db.close()
  return { orgId, members: members.length, ships, operations: planned.length, signUps, received }
}

/** A member adds a ship to its own hangar, as `FleetService.addShip` does. */
async function addShip(
  store: DocumentStore,
  orgId: string,
  m: Member,
  authHeads: readonly ChangeHash[],
  n: number,
): Promise<Made> {
  const docId = hangarId(orgId, m.device.memberKey)
  const id = m.device.memberKey.slice(0, 8) + n.toString(16).padStart(8, '0')
  const ship: ShipRecord = {
    id: S(id),
    model: S(`Model ${n % 40}`),
    manufacturer: S(MAKERS[n % MAKERS.length] as string),
    name: S(''),
    role: S(n % 2 ? 'fighter' : 'cargo'),
    pledgeDate: null,
    cost: 50 + ((n * 7) % 400),
    insurance: S(n % 5 === 0 ? 'lti' : 'standard'),
    status: S(STATUS[n % STATUS.length] as string),
    location: S('Area18'),
    visibility: S('org'),
    addedAt: Date.now(),
    loadouts: {},
    activeLoadout: null,
  }
  const action = {
    action: 'ship.add',
    resource: `ship:${orgId}/${id}`,
    details: { model: `Model ${n % 40}` },
    authHeads,
  }
  const base = m.hangar ?? (m.hasHangar ? await store.get<HangarDoc>(docId) : null)
  const made = m.device.change<HangarDoc>(
    docId,
    base,
    action,
    (d) => {
      if (base === null) {
        d.schema = HANGAR_SCHEMA
        d.org = S(orgId)
        d.owner = S(m.device.memberKey)
        d.ships = {}
      }
      d.ships[id] = ship
    },
    true,
  )
  if (m.hangar !== null) A.free(m.hangar) // the member's copy before this change
  m.hangar = made.doc
  m.hasHangar = true
  m.toAdd--
  return { entry: made.entry, change: made.change }
}

/** A member signs up for an operation, as `OperationsService.signUp` does. */
function signUp(
  orgId: string,
  op: PlannedOp,
  m: Member,
  base: A.Doc<OperationDoc>,
  authHeads: readonly ChangeHash[],
  n: number,
): Made {
  const role = ROLES[n % ROLES.length] as string
  const state = n % 7 === 0 ? 'tentative' : 'pending'
  const action = {
    action: 'op.signup',
    resource: `op:${orgId}/${op.opId}`,
    details: { role, state },
    authHeads,
  }
  const me = m.device.memberKey
  const made = m.device.change<OperationDoc>(op.docId, base, action, (doc) => {
    doc.participants[me] = { role: S(role), ship: null, slot: null, state: S(state), updatedAt: Date.now() }
  })
  return { entry: made.entry, change: made.change }
}

/** `size` distinct members, spread over the roster (a different spread per operation). */
function pick(members: readonly Member[], size: number, salt: number): Member[] {
  const step = Math.max(1, Math.floor(members.length / size))
  const out: Member[] = []
  for (let i = 0; out.length < size && i < members.length; i++)
    out.push(members[(salt * 13 + i * step) % members.length] as Member)
  return [...new Set(out)]
}
