/**
 * `/api/v1`: every resource's routes, and the OpenAPI document built from the same zod
 * schemas that validate each request (`/api/v1/openapi.json`). A new resource is one file
 * in this folder and one line below.
 */
import { VERSION } from '../version.ts'
import { auditRoutes } from './audit.ts'
import { backupRoutes } from './backups.ts'
import { calendarRoutes } from './calendar.ts'
import { eventRoutes } from './events.ts'
import { fleetRoutes } from './fleet.ts'
import { inviteRoutes } from './invites.ts'
import { licenseRoutes } from './license.ts'
import { loadoutRoutes } from './loadouts.ts'
import { memberRoutes } from './members.ts'
import { opRoutes } from './ops.ts'
import { orgRoutes } from './orgs.ts'
import { peerRoutes } from './peers.ts'
import { rankRoutes } from './ranks.ts'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { shipImportRoutes } from './ship-import.ts'
import { shipRoutes } from './ships.ts'
import { statusRoutes } from './status.ts'

export const API_BASE = '/api/v1'

export function v1Routes(ctx: RouteContext) {
  const app = router()
  for (const routes of [
    statusRoutes,
    orgRoutes,
    memberRoutes,
    rankRoutes,
    inviteRoutes,
    shipImportRoutes,
    shipRoutes,
    opRoutes,
    loadoutRoutes,
    fleetRoutes,
    peerRoutes,
    licenseRoutes,
    auditRoutes,
    eventRoutes,
    calendarRoutes,
    backupRoutes,
  ])
    app.route('/', routes(ctx))
  app.openAPIRegistry.registerComponent('securitySchemes', 'token', {
    type: 'http',
    scheme: 'bearer',
    description: "the token in the data directory's node.json",
  })
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Verse Guy local API',
      version: VERSION,
      description: 'The API of one Verse Guy node, for its member (CLI, web UI). Loopback only.',
    },
    servers: [{ url: API_BASE }],
    security: [{ token: [] }],
  })
  return app
}
