/** Runs every benchmark (`npm run bench`; `--quick` for a smoke run). */
import { run as backup } from './backup.bench.ts'
import { run as cli } from './cli.bench.ts'
import { run as convergence } from './convergence.bench.ts'
import { run as domain } from './domain.bench.ts'
import { run as foundation } from './foundation.bench.ts'
import { run as licensing } from './licensing.bench.ts'
import { run as mesh } from './mesh.bench.ts'
import { run as scale } from './scale.bench.ts'
import { run as ui } from './ui.bench.ts'

await foundation()
await domain()
await licensing()
await mesh()
await convergence()
await scale()
await cli()
await backup()
await ui()
