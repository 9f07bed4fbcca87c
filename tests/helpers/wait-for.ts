/**
 * Polls until a condition holds, for tests and benches that wait on real nodes.
 *
 * `fn` returns the awaited value, or `false`/`undefined`/`null` while it is not there yet;
 * a throw counts as "not yet". The last error, if any, is named in the timeout message.
 *
 * @example
 * const ship = await waitFor('the ship on b', async () => (await b.api('GET', '/api/v1/ships')).find(...))
 */
export interface WaitForOptions {
  /** Gives up after this long (default 20 s). */
  readonly timeoutMs?: number
  /** Pause between tries (default 50 ms). */
  readonly intervalMs?: number
}

export async function waitFor<T>(
  what: string,
  fn: () => T | false | undefined | null | Promise<T | false | undefined | null>,
  options: WaitForOptions | number = {},
): Promise<T> {
  const { timeoutMs = 20_000, intervalMs = 50 } =
    typeof options === 'number' ? { timeoutMs: options } : options
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await fn()
      if (value !== false && value !== undefined && value !== null) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() >= deadline) break
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
  const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`)
}
