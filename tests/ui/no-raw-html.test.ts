/**
 * The page never turns text into HTML: no innerHTML, outerHTML, insertAdjacentHTML,
 * document.write or dangerouslySetInnerHTML anywhere in its source, so every text a peer
 * can set reaches the screen as a text node (the browser tests plant markup to check it).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const UI = new URL('../../ui/src/', import.meta.url)

describe('web UI source', () => {
  it('has no way to render text as HTML', () => {
    const files = readdirSync(UI).filter((f) => f.endsWith('.ts'))
    expect(files.length).toBeGreaterThan(5)
    for (const f of files) {
      const text = readFileSync(new URL(f, UI), 'utf8')
      expect(text, f).not.toMatch(
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|dangerouslySetInnerHTML|eval\(|new Function/,
      )
    }
  })
})
