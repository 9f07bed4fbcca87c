/** `/backups`: a backup of the node or a restore into it, run as a job whose progress is read back. */
import { createRoute, z } from '@hono/zod-openapi'
import type { BackupControl } from '../backups.ts'
import { NodeNotRunningError } from '../errors.ts'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { body, ERROR_RESPONSES, json } from './schemas.ts'

const JobSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['create', 'restore']),
    state: z.enum(['running', 'done', 'failed']),
    done: z.number().int(),
    total: z.number().int(),
    file: z.string().nullable(),
    result: z.object({}).passthrough().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .openapi('BackupJob')
const JobRef = z.object({ job: z.string() })
const Path = z.string().min(1).max(4096).openapi({ description: 'an absolute path on the node’s machine' })
const Passphrase = z
  .string()
  .min(8)
  .max(1024)
  .optional()
  .openapi({ description: 'the backup passphrase (encrypts a new backup; opens an encrypted one)' })
const JobParam = z.object({
  job: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .openapi({ param: { name: 'job', in: 'path' } }),
})
const FolderSchema = z
  .object({
    dir: z.string().openapi({ description: 'config.json’s backup.dir, else backups/ in the data directory' }),
    configured: z
      .boolean()
      .openapi({ description: 'whether backup.dir is set (scheduled backups go there)' }),
    backups: z.array(
      z.object({
        file: z.string(),
        path: z.string(),
        takenAt: z.number().int(),
        size: z.number().int(),
        kept: z
          .boolean()
          .openapi({ description: 'false: the folder’s retention removes it at the next prune' }),
      }),
    ),
  })
  .openapi('BackupFolder')
const tags = ['backups']

export function backupRoutes(ctx: RouteContext) {
  const app = router()
  const backups = (): BackupControl => {
    if (ctx.backups === undefined) throw new NodeNotRunningError()
    return ctx.backups()
  }
  app.openapi(
    createRoute({
      method: 'get',
      path: '/backups',
      tags,
      summary: 'The backups in the node’s backup folder, newest first',
      responses: { 200: json(FolderSchema, 'the folder and its backups'), ...ERROR_RESPONSES },
    }),
    async (c) => c.json(await backups().list(), 200),
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/backups',
      tags,
      summary:
        'Write a backup of the node to a file, by default a new one in the backup folder (a job: read its progress at /backups/jobs/{job})',
      request: body(
        z.object({ out: Path.optional(), withKey: z.boolean().optional(), passphrase: Passphrase }),
      ),
      responses: { 202: json(JobRef, 'the job started'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const b = c.req.valid('json')
      const job = backups().create({
        ...(b.out === undefined ? {} : { file: b.out }),
        withKey: b.withKey === true,
        ...(b.passphrase === undefined ? {} : { passphrase: b.passphrase }),
      })
      return c.json({ job: job.id }, 202)
    },
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/backups/restore',
      tags,
      summary: 'Merge a backup file into the node (checked like a peer’s content; a job)',
      request: body(z.object({ file: Path, passphrase: Passphrase })),
      responses: { 202: json(JobRef, 'the job started'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const b = c.req.valid('json')
      const job = backups().restore({
        file: b.file,
        ...(b.passphrase === undefined ? {} : { passphrase: b.passphrase }),
      })
      return c.json({ job: job.id }, 202)
    },
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/backups/jobs/{job}',
      tags,
      summary: 'A backup or restore job: state, progress (done of total), file, outcome or error',
      request: { params: JobParam },
      responses: { 200: json(JobSchema, 'the job'), ...ERROR_RESPONSES },
    }),
    async (c) => c.json({ ...backups().job(c.req.valid('param').job) }, 200),
  )
  return app
}
