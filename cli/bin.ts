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
const { main } = await import('./main.ts')
process.exitCode = await main(process.argv)
