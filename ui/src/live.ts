/// <reference lib="dom" />
/**
 * What several views share: the org and your access in it, a small form helper, and live
 * re-reads: one event stream from the node (`/api/v1/events`) for the whole page, each
 * view listening while it is shown.
 */
import { useEffect, useState } from 'preact/hooks'
import { ApiError, api } from './api.ts'

export interface Org {
  readonly id: string
  readonly name: string
  readonly tag: string
  readonly memberCount: number
  readonly deleted: boolean
}

/** What you are in the org and may do there (`GET /orgs/{org}/me`). */
export interface Access {
  readonly memberKey: string
  readonly member: boolean
  readonly rank: string | null
  readonly rankName: string | null
  readonly level: number
  readonly permissions: string[]
}

export const can = (a: Access, ...permissions: string[]) => permissions.some((p) => a.permissions.includes(p))

const listeners = new Set<() => void>()
let source: EventSource | null = null

function listen(fn: () => void): () => void {
  listeners.add(fn)
  if (source === null) {
    source = new EventSource('/api/v1/events')
    source.addEventListener('change', () => {
      for (const l of listeners) l()
    })
  }
  return () => {
    listeners.delete(fn)
    if (listeners.size === 0) {
      source?.close()
      source = null
    }
  }
}

/** Calls `fn` whenever the node says a document changed (debounced). */
export function useChanges(fn: () => void): void {
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const stop = listen(() => {
      clearTimeout(timer)
      timer = setTimeout(fn, 150)
    })
    return () => {
      clearTimeout(timer)
      stop()
    }
  }, [fn])
}

const message = (err: unknown) =>
  err instanceof ApiError && err.field ? `${err.field}: ${err.message}` : (err as Error).message

/** Actions (buttons): each runs, and the node's error, if any, is kept to show. */
export function useAction() {
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const run = async (fn: () => Promise<unknown>) => {
    setBusy(true)
    setError(null)
    try {
      await fn()
    } catch (err) {
      setError(message(err))
    } finally {
      setBusy(false)
    }
  }
  return { error, busy, run }
}

/** A form's submit: busy while it runs, the node's error (with the field it names) after. */
export function useSubmit(fn: () => Promise<void>) {
  const { error, busy, run } = useAction()
  const submit = (e?: Event) => {
    e?.preventDefault()
    return run(fn)
  }
  return { error, busy, submit }
}

export const when = (ms: number) => `${new Date(ms).toISOString().replace('T', ' ').slice(0, 16)} UTC`

const handles = new Map<string, Promise<string | null>>()

/**
 * The handles of `keys` (member keys), looked up once each (`GET /orgs/{org}/members/{key}`);
 * a key without one (gone, or no members:view) stays out of the map: show its start.
 */
export function useHandles(org: string, keys: readonly string[]): ReadonlyMap<string, string> {
  const [map, setMap] = useState<ReadonlyMap<string, string>>(new Map())
  const wanted = [...new Set(keys)].sort().join(',')
  useEffect(() => {
    let live = true
    const list = wanted === '' ? [] : wanted.split(',')
    void Promise.all(
      list.map((k) => {
        const id = `${org}/${k}`
        if (!handles.has(id))
          handles.set(
            id,
            api.get<{ handle: string }>(`/orgs/${org}/members/${k}`).then(
              (m) => m.handle,
              () => null,
            ),
          )
        return (handles.get(id) as Promise<string | null>).then((h) => [k, h] as const)
      }),
    ).then((pairs) => {
      if (live) setMap(new Map(pairs.filter((p): p is readonly [string, string] => p[1] !== null)))
    })
    return () => {
      live = false
    }
  }, [org, wanted])
  return map
}
