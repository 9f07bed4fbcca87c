/** `/licenses`, `/orgs/{org}/license`, revocation lists, the license clock and trusted issuer keys. */
import { createRoute, z } from '@hono/zod-openapi'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { body, ERROR_RESPONSES, json, OrgParam } from './schemas.ts'

const LicenseStatusSchema = z
  .object({ org: z.string(), state: z.string() })
  .passthrough()
  .openapi('LicenseStatus')
const Text = z.object({ text: z.string().max(1024 * 1024) })
const tags = ['license']

export function licenseRoutes(ctx: RouteContext) {
  const app = router()
  app.openapi(
    createRoute({
      method: 'get',
      path: '/licenses',
      tags,
      summary: "Every org's license status and the revocation lists held",
      responses: {
        200: json(
          z.object({ orgs: z.array(LicenseStatusSchema), revocations: z.array(z.object({}).passthrough()) }),
          'license status',
        ),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const licenses = ctx.services().licenses
      return c.json({ orgs: await licenses.statusAll(), revocations: await licenses.revocations() }, 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'put',
      path: '/orgs/{org}/license',
      tags,
      summary: "Install the org's license (verified offline against the trusted issuer keys)",
      request: { params: OrgParam, ...body(Text) },
      responses: { 200: json(LicenseStatusSchema, 'the license status'), ...ERROR_RESPONSES },
    }),
    async (c) =>
      c.json(await ctx.services().licenses.install(c.req.valid('param').org, c.req.valid('json').text), 200),
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/license/revocations',
      tags,
      summary: "Install an issuer's signed revocation list",
      request: body(Text),
      responses: { 200: json(z.object({}).passthrough(), 'the list held now'), ...ERROR_RESPONSES },
    }),
    async (c) =>
      c.json({ ...(await ctx.services().licenses.installRevocations(c.req.valid('json').text)) }, 200),
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/license/clock-reset',
      tags,
      summary: "Reset the license clock's watermark to this computer's clock (recorded on the chain)",
      request: body(z.object({ confirm: z.boolean().optional() })),
      responses: { 200: json(z.object({}).passthrough(), 'what was done'), ...ERROR_RESPONSES },
    }),
    async (c) =>
      c.json({ ...(await ctx.services().licenses.resetClock(c.req.valid('json').confirm === true)) }, 200),
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/license/trust/reload',
      tags,
      summary: "Re-read config.json's license.trust: trust exactly those issuer keys beside the shipped ones",
      responses: {
        200: json(z.object({ trusted: z.array(z.object({}).passthrough()) }), 'the keys trusted now'),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => c.json({ trusted: (await ctx.reloadTrust()).map((k) => ({ ...k })) }, 200),
  )
  return app
}
