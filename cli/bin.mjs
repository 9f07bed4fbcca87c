#!/usr/bin/env node
// The `verseguy` command. Needs Node >= 22.18 (TypeScript type stripping on by default).
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `verseguy needs Node.js 22.18 or newer (this is ${process.versions.node}). ` +
      'Run it through npm (npm start, npx verseguy), which uses the Node 24 the project installs.\n',
  )
  process.exit(1)
}
// What this process creates (LevelDB's files as it writes them, keys, licenses) is the
// owner's alone; the node also makes what is already in its data directory owner-only.
process.umask(0o077)
// Later starts reuse the modules compiled (and types stripped) by earlier ones. This file
// is JavaScript so that nothing needs the type stripper before the cache is on.
const { enableModuleCache } = await import('../node/compile-cache.mjs')
enableModuleCache()
const { main } = await import('./main.ts')
process.exitCode = await main(process.argv)
