/**
 * The import rules of the source tree (issue 13, "folder faces"), checked on every `.ts`
 * file under crdt/ net/ services/ node/ cli/:
 * 1. cli/ imports only node/ (and packages);
 * 2. net/ imports from crdt/ only types, but for the few runtime values named in
 *    `NET_RUNTIME_FROM_CRDT` (printed by the test);
 * 3. every services/<x>/ folder has an `index.ts`, and a file outside services/<x>/
 *    imports it only through that face, but for the two constant tables node's light face
 *    (`node/light.ts`, for the CLI's start) takes directly (`LIGHT_FACE_TAKES`, printed);
 * 4. no cycle between folders (services/org, crdt/chain, crdt/store, net/mesh, …, and
 *    each top folder's own files; a sub-folder's sub-folders belong to it); a top folder's
 *    own files (its face, wiring and shared basics) are not weighed against its
 *    sub-folders, which they both use and serve;
 * 5. dependencies point inward: crdt ← services ← node ← cli, crdt ← net ← node.
 * Each violation is named `file → specifier (rule)`.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const TOPS = ['crdt', 'net', 'services', 'node', 'cli'] as const
type Top = (typeof TOPS)[number]

/** What each top folder must not import (rule 5). */
const NEVER: Record<Top, readonly Top[]> = {
  crdt: ['services', 'net', 'node', 'cli'],
  services: ['net', 'node', 'cli'],
  net: ['services', 'node', 'cli'],
  node: ['cli'],
  cli: ['crdt', 'services', 'net'],
}

/**
 * The runtime values net/ takes from crdt/ (rule 2): the logger and clock ports' default
 * implementations, which net/ falls back to when `node/` passes none. Everything else is
 * a type. Keep this list tiny.
 */
const NET_RUNTIME_FROM_CRDT: ReadonlySet<string> = new Set([
  'crdt/logger.ts',
  'crdt/clock.ts',
  'crdt/byte-list.ts',
])

/**
 * The services/ files node's light face (`node/light.ts`, what the CLI loads at every
 * start) takes directly, past their folders' faces (which load Automerge): two tables of
 * constants the CLI's option choices are made of, that import nothing at run time.
 */
const LIGHT_FACE = 'node/light.ts'
const LIGHT_FACE_TAKES: ReadonlySet<string> = new Set([
  'services/backup/backup-name.ts',
  'services/fleet/hangar-schema.ts',
  'services/licensing/features.ts',
  'services/operations/op-kinds.ts',
])

interface Import {
  /** The importing file, relative to the root (`net/mesh/mesh.ts`). */
  readonly from: string
  readonly specifier: string
  /** The imported file, relative to the root, for a relative specifier; else undefined. */
  readonly target: string | undefined
  readonly typeOnly: boolean
}

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`
    if (entry.isDirectory()) out.push(...sourceFiles(path))
    else if (entry.name.endsWith('.ts')) out.push(path)
  }
  return out
}

function importsOf(file: string): Import[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false)
  const out: Import[] = []
  const add = (specifier: string, typeOnly: boolean): void => {
    const target = specifier.startsWith('.')
      ? relative(ROOT, resolve(ROOT, dirname(file), specifier))
      : undefined
    out.push({ from: file, specifier, target, typeOnly })
  }
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause
      const named = clause?.namedBindings
      const allNamedTypes =
        named !== undefined &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly)
      const typeOnly =
        clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && allNamedTypes))
      add(node.moduleSpecifier.text, typeOnly)
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const clause = node.exportClause
      const allNamedTypes =
        clause !== undefined &&
        ts.isNamedExports(clause) &&
        clause.elements.length > 0 &&
        clause.elements.every((e) => e.isTypeOnly)
      add(node.moduleSpecifier.text, node.isTypeOnly || allNamedTypes)
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      add(node.arguments[0].text, false)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return out
}

function topOf(path: string): Top | undefined {
  const first = path.split('/')[0]
  return TOPS.find((t) => t === first)
}

/** The folder a file belongs to in the folder graph: its top folder and first sub-folder. */
function folderOf(path: string): string {
  const parts = path.split('/').slice(0, -1)
  return parts.slice(0, 2).join('/')
}

const files = TOPS.flatMap((t) => sourceFiles(t))
const imports = files.flatMap(importsOf)
const internal = imports.filter(
  (i): i is Import & { target: string } => i.target !== undefined && topOf(i.target) !== undefined,
)
const show = (i: Import, rule: string): string => `${i.from} → ${i.specifier} (${rule})`

/** A cycle in the folder graph, as its folders in order, or undefined. */
function findCycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const cycles: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const walk = (node: string): void => {
    state.set(node, 'open')
    stack.push(node)
    for (const next of edges.get(node) ?? []) {
      const s = state.get(next)
      if (s === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next])
      else if (s === undefined) walk(next)
    }
    stack.pop()
    state.set(node, 'done')
  }
  for (const node of [...edges.keys()].sort()) if (!state.has(node)) walk(node)
  return cycles
}

describe('import rules of the source tree', () => {
  it('reads the imports of every source file', () => {
    expect(files.length).toBeGreaterThan(100)
    expect(internal.length).toBeGreaterThan(300)
    // the parser sees type-only imports, re-exports and lazy imports
    expect(internal.some((i) => i.typeOnly)).toBe(true)
    expect(imports.some((i) => i.from.startsWith('cli/') && i.specifier.includes('node/index.ts'))).toBe(true)
  })

  it('cli/ imports only node/ and packages', () => {
    const bad = internal
      .filter((i) => topOf(i.from) === 'cli' && !['cli', 'node'].includes(topOf(i.target) ?? ''))
      .map((i) => show(i, 'cli imports only node/'))
    expect(bad).toEqual([])
  })

  it('net/ imports only types from crdt/, but for the named exceptions', () => {
    console.info(
      `net/ takes these runtime values from crdt/ (documented exceptions): ${[...NET_RUNTIME_FROM_CRDT].join(', ')}`,
    )
    const bad = internal
      .filter(
        (i) =>
          topOf(i.from) === 'net' &&
          topOf(i.target) === 'crdt' &&
          !i.typeOnly &&
          !NET_RUNTIME_FROM_CRDT.has(i.target),
      )
      .map((i) => show(i, 'net imports only types from crdt/'))
    expect(bad).toEqual([])
  })

  it('every services/ folder has an index.ts face, and other folders import only it', () => {
    const serviceFolders = readdirSync(join(ROOT, 'services'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `services/${e.name}`)
    const missing = serviceFolders
      .filter((f) => !files.includes(`${f}/index.ts`))
      .map((f) => `${f}/index.ts is missing`)
    console.info(
      `${LIGHT_FACE} takes these files past their faces (documented exceptions): ${[...LIGHT_FACE_TAKES].join(', ')}`,
    )
    const bad = internal
      .filter((i) => {
        const folder = serviceFolders.find((f) => i.target.startsWith(`${f}/`))
        if (folder === undefined || i.from.startsWith(`${folder}/`)) return false
        if (i.from === LIGHT_FACE && LIGHT_FACE_TAKES.has(i.target)) return false
        return i.target !== `${folder}/index.ts`
      })
      .map((i) => show(i, 'a services/ folder is imported through its index.ts'))
    expect([...missing, ...bad]).toEqual([])
  })

  it('no cycle between folders', () => {
    const edges = new Map<string, Set<string>>()
    const witness = new Map<string, Import>()
    for (const i of internal) {
      const a = folderOf(i.from)
      const b = folderOf(i.target)
      // a top folder's own files (its wiring and its shared basics) sit both above and
      // below its sub-folders: only edges between distinct sub-folders, or across top
      // folders, make the graph
      const ownFiles = topOf(a) === a || topOf(b) === b
      if (a === b || (ownFiles && topOf(a) === topOf(b))) continue
      const set = edges.get(a) ?? new Set<string>()
      edges.set(a, set)
      set.add(b)
      if (!witness.has(`${a} ${b}`)) witness.set(`${a} ${b}`, i)
    }
    const bad = findCycles(edges).map((cycle) => {
      const steps = cycle.slice(1).map((b, k) => {
        const w = witness.get(`${cycle[k]} ${b}`)
        return w === undefined ? `${cycle[k]} → ${b}` : `${w.from} → ${w.specifier}`
      })
      return `cycle ${cycle.join(' → ')}: ${steps.join('; ')}`
    })
    expect(bad).toEqual([])
  })

  it('dependencies point inward', () => {
    const bad = internal
      .filter((i) => {
        const a = topOf(i.from)
        const b = topOf(i.target)
        return a !== undefined && b !== undefined && NEVER[a].includes(b)
      })
      .map((i) => show(i, `${topOf(i.from)} never imports ${topOf(i.target)}`))
    expect(bad).toEqual([])
  })
})
