/**
 * Node's module compile cache, for the `verseguy` command: the code of every module
 * compiled, and each TypeScript file's stripped source, kept on disk so that a later start
 * neither strips types again nor compiles from scratch (about a third of a start's CPU
 * time without it). Kept in the user's own cache folder (`$XDG_CACHE_HOME/verseguy` or
 * `~/.cache/verseguy`, made owner-only by the command's umask), never a shared temporary
 * folder: a stripped source read back is code that runs. `NODE_COMPILE_CACHE=DIR` puts it
 * elsewhere, `NODE_DISABLE_COMPILE_CACHE=1` turns it off. A cache that cannot be written
 * is no error: modules are then compiled as without it.
 *
 * Plain JavaScript (types in compile-cache.d.mts), like cli/bin.mjs: loading a TypeScript
 * file first would load Node's type stripper, the cost the cache is there to save.
 */
import { enableCompileCache } from 'node:module'
import { homedir } from 'node:os'
import { join } from 'node:path'

/** @returns {string} */
function userCacheDir() {
  const xdg = process.env.XDG_CACHE_HOME
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'verseguy', 'compile')
}

/**
 * Enables the cache for modules loaded from now on; the folder used, or null if none.
 * @returns {string | null}
 */
export function enableModuleCache() {
  const env = process.env.NODE_COMPILE_CACHE
  const { directory } = enableCompileCache(env !== undefined && env !== '' ? env : userCacheDir())
  return directory ?? null
}
