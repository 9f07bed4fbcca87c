import { defineConfig } from 'vitest/config'

// CI sets VITEST_JSON to also write a JSON report (for its closing pass/fail line).
const json = process.env.VITEST_JSON

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: json ? ['default', 'json'] : ['default'],
    ...(json ? { outputFile: { json } } : {}),
  },
})
