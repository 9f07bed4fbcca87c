/** Runs every benchmark (`npm run bench`; `--quick` for a smoke run). */
import { run as foundation } from './foundation.bench.ts'

await foundation()
