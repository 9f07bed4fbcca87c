/**
 * The one way a message names a command to run: as it works for someone who ran
 * `npm ci` (`npx verseguy …`; the bare `verseguy` is on no PATH), with `-d DIR` when a
 * data directory was given, quoted for a POSIX shell when it needs it.
 *
 * @example
 * cliHint('init', '/tmp/my node') // "npx verseguy -d '/tmp/my node' init"
 */
export function cliHint(command: string, dataDir?: string): string {
  return dataDir === undefined || dataDir === ''
    ? `npx verseguy ${command}`
    : `npx verseguy -d ${shellWord(dataDir)} ${command}`
}

/** `word` as one word of a POSIX shell command line (quoted when it needs it). */
export function shellWord(word: string): string {
  return /^[\w./:@%+=,-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`
}
