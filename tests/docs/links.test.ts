/**
 * The README and docs/ are self-contained: every relative link (and every `../` path
 * they quote) resolves to a file inside the repository, and every #anchor to a heading.
 */
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const REPO = resolve(new URL('../../', import.meta.url).pathname)

async function markdownFiles(): Promise<string[]> {
  const docs = (await readdir(join(REPO, 'docs')))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(REPO, 'docs', f))
  return [join(REPO, 'README.md'), ...docs]
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>()
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    out.add(
      (m[1] ?? '')
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    )
  }
  return out
}

/** Relative targets of `[text](target)` links and quoted `../…` paths. */
function targets(markdown: string): string[] {
  const out: string[] = []
  for (const m of markdown.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const t = m[1] ?? ''
    if (!/^[a-z][a-z+.-]*:/i.test(t)) out.push(t)
  }
  for (const m of markdown.matchAll(/`(\.\.\/[^`\s]+)`/g)) out.push(m[1] ?? '')
  return out
}

describe('README and docs links', () => {
  it('every relative link resolves inside the repository, every anchor to a heading', async () => {
    const broken: string[] = []
    for (const file of await markdownFiles()) {
      const text = await readFile(file, 'utf8')
      for (const target of targets(text)) {
        const [path = '', anchor] = target.split('#')
        const abs = path === '' ? file : resolve(dirname(file), path)
        const where = `${relative(REPO, file)}: ${target}`
        if (relative(REPO, abs).startsWith('..')) broken.push(`${where} (outside the repository)`)
        else if (!existsSync(abs)) broken.push(`${where} (no such file)`)
        else if (
          anchor !== undefined &&
          abs.endsWith('.md') &&
          !anchors(await readFile(abs, 'utf8')).has(anchor)
        )
          broken.push(`${where} (no such heading)`)
      }
    }
    expect(broken).toEqual([])
  })

  it('catches a link out of the repository and a missing file', () => {
    expect(targets('see [x](../shared/DESIGN.md) and `../shared/X.md`, [y](https://e.org)')).toEqual([
      '../shared/DESIGN.md',
      '../shared/X.md',
    ])
  })
})
