/// <reference lib="dom" />
/** What several views share: the org summary, and live re-reads on the node's change events. */
import { useEffect } from 'preact/hooks'

export interface Org {
  readonly id: string
  readonly name: string
  readonly tag: string
  readonly memberCount: number
  readonly deleted: boolean
}

/** Calls `fn` whenever the node says a document changed (debounced). */
export function useChanges(fn: () => void): void {
  useEffect(() => {
    const source = new EventSource('/api/v1/events')
    let timer: ReturnType<typeof setTimeout> | undefined
    source.addEventListener('change', () => {
      clearTimeout(timer)
      timer = setTimeout(fn, 150)
    })
    return () => {
      clearTimeout(timer)
      source.close()
    }
  }, [fn])
}
