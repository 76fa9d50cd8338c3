/**
 * The code in the docs must be right against the real types: every ```ts and ```tsx
 * block of docs/api.md and README.md is type-checked with the repo's compiler options,
 * `syncline`, `syncline/react`, `syncline/server` and `syncline/core` resolving to the
 * sources. Each block is its own module; `render` and `showStatus` stand for the app's
 * own code.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))
const DOCS = ['docs/api.md', 'README.md']
const ENTRIES: Record<string, string> = {
  syncline: 'src/client/index.ts',
  'syncline/react': 'src/react/index.ts',
  'syncline/server': 'server/index.ts',
  'syncline/core': 'src/core/index.ts',
}
const PRELUDE =
  'declare function render(...values: unknown[]): void\ndeclare function showStatus(status: unknown): void\n'

interface Example {
  file: string
  doc: string
  /** The line of the doc where the block's code starts. */
  line: number
  code: string
}

function examples(): Example[] {
  const out: Example[] = []
  for (const doc of DOCS) {
    const text = readFileSync(root + doc, 'utf8')
    for (const match of text.matchAll(/^```(tsx?)\n([\s\S]*?)^```$/gm)) {
      const line = text.slice(0, match.index).split('\n').length + 1
      const file = `${root}docs/.example-${doc.replace(/\W/g, '-')}-${line}.${match[1]}`
      out.push({ file, doc, line, code: `${PRELUDE}${match[2]}\nexport {}\n` })
    }
  }
  return out
}

it('every TypeScript example of the docs type-checks', () => {
  const list = examples()
  expect(list.length).toBeGreaterThan(5)
  const config = ts.readConfigFile(root + 'tsconfig.json', ts.sys.readFile)
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root)
  Object.assign(options, {
    noEmit: true,
    jsx: ts.JsxEmit.ReactJSX,
    baseUrl: root,
    paths: Object.fromEntries(Object.entries(ENTRIES).map(([name, path]) => [name, [path]])),
  })
  const byFile = new Map(list.map(e => [e.file, e]))
  const host = ts.createCompilerHost(options)
  const { fileExists, readFile, getSourceFile } = host
  host.fileExists = file => byFile.has(file) || fileExists.call(host, file)
  host.readFile = file => byFile.get(file)?.code ?? readFile.call(host, file)
  host.getSourceFile = (file, language, ...rest) => {
    const example = byFile.get(file)
    if (example) return ts.createSourceFile(file, example.code, language, true)
    return getSourceFile.call(host, file, language, ...rest)
  }
  const program = ts.createProgram([...byFile.keys()], options, host)
  const problems = ts
    .getPreEmitDiagnostics(program)
    .filter(d => d.file && byFile.has(d.file.fileName))
    .map(d => {
      const example = byFile.get(d.file!.fileName)!
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0)
      const docLine = example.line + line - PRELUDE.split('\n').length + 1
      return `${example.doc}:${docLine}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
    })
  expect(problems).toEqual([])
})
