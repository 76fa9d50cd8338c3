/**
 * The package as an app gets it (issue 7): `npm pack` (its `prepack` builds dist/), a
 * fresh Vite app made of the files of docs/vite-guide.md with the tarball installed by
 * npm, that app built (`vite build`, served by `vite preview`) and on the dev server,
 * and the packed `syncline-server` command. Two devices, one on each, sync through the
 * server. The app also type-checks against the packed declarations, where a wrong field
 * type must not compile.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { expect, type Page, test } from '@playwright/test'
import { freePort } from './support/server.ts'

const repo = join(import.meta.dirname, '..')
// Made in beforeAll: Playwright also loads this file in its main process, to list the tests.
let tmp = ''
let app = ''
const children: ChildProcess[] = []
let packed: { filename: string; files: { path: string }[] }
let server = ''
let preview = ''
let dev = ''

const versionOf = (name: string) =>
  JSON.parse(readFileSync(join(repo, 'node_modules', name, 'package.json'), 'utf8')).version as string

/** The guide's files: each code block right after a line that names its file (`src/main.ts`:). */
function guideFiles(): Map<string, string> {
  const guide = readFileSync(join(repo, 'docs', 'vite-guide.md'), 'utf8')
  return new Map([...guide.matchAll(/^`([\w./-]+)`:\n\n```\w+\n([\s\S]*?)^```$/gm)].map(m => [m[1]!, m[2]!]))
}

/** What the guide leaves to the app: its package.json, a tsconfig, Vite's client types. */
const scaffold: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'groceries', private: true, type: 'module' }),
  'tsconfig.json': JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'bundler',
      lib: ['ES2022', 'DOM', 'DOM.Iterable'],
      strict: true,
      noEmit: true,
      // The packed declarations are checked too, not only their use.
      skipLibCheck: false,
    },
    include: ['src'],
  }),
  'src/vite-env.d.ts': '/// <reference types="vite/client" />\n',
  // Must not compile: each line below is one mistake the packed types catch.
  'src/wrong-types.ts': [
    "import { createClient } from 'syncline'",
    "const client = await createClient({ schema: { items: { crdt: 'lwwx' } } })",
    "const items = client.space('s').collection<{ title: string; done: boolean }>('items')",
    "await items.put('milk', { title: 42, done: false })",
    '',
  ].join('\n'),
}

function write(files: Iterable<[string, string]>) {
  for (const [path, text] of files) {
    mkdirSync(dirname(join(app, path)), { recursive: true })
    writeFileSync(join(app, path), text)
  }
}

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    stdio: 'pipe',
  })
}

/** Starts a long-running process of the test (stopped by PID in afterAll); its stdout is read or dropped. */
function start(args: string[], env: Record<string, string> = {}, stdout: 'pipe' | 'ignore' = 'ignore') {
  const child = spawn(process.execPath, args, {
    cwd: app,
    env: { ...process.env, ...env },
    stdio: ['ignore', stdout, 'inherit'],
  })
  children.push(child)
  return child
}

/** Waits until `url` answers 200. */
async function answers(url: string) {
  await expect
    .poll(
      () =>
        fetch(url)
          .then(r => r.status)
          .catch(() => 0),
      { timeout: 20_000, intervals: [100] },
    )
    .toBe(200)
}

test.beforeAll(async () => {
  test.setTimeout(120_000)
  tmp = mkdtempSync(join(tmpdir(), 'syncline-package-'))
  app = join(tmp, 'app')
  const out = run('npm', ['pack', '--json', '--pack-destination', tmp], repo)
  packed = JSON.parse(out.slice(out.search(/^\[/m)))[0]
  const guide = guideFiles()
  expect([...guide.keys()].sort()).toEqual(['index.html', 'src/main.ts', 'vite.config.ts'])
  write(Object.entries(scaffold))
  write(guide)
  // The npm cache holds every dependency after `npm ci`. --ignore-scripts skips building
  // better-sqlite3 (70 s), which the browser app does not need; for the server, see below.
  run(
    'npm',
    [
      'install',
      join(tmp, packed.filename),
      `vite@${versionOf('vite')}`,
      `typescript@${versionOf('typescript')}`,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
    ],
    app,
  )
  // The server is the packed one, run by its bin; only its native SQLite binding comes from
  // the repo's node_modules (the same better-sqlite3, built by `npm ci`).
  rmSync(join(app, 'node_modules', 'better-sqlite3'), { recursive: true })
  symlinkSync(
    join(repo, 'node_modules', 'better-sqlite3'),
    join(app, 'node_modules', 'better-sqlite3'),
    'dir',
  )

  const [serverPort, previewPort, devPort] = [await freePort(), await freePort(), await freePort()]
  preview = `http://127.0.0.1:${previewPort}`
  dev = `http://127.0.0.1:${devPort}`
  const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'syncline', 'package.json'), 'utf8'))
  const bin = join(app, 'node_modules', 'syncline', installed.bin['syncline-server'])
  expect(
    resolve(
      join(app, 'node_modules', '.bin'),
      readlinkSync(join(app, 'node_modules', '.bin', 'syncline-server')),
    ),
  ).toBe(bin)
  // As the guide runs it: port, database, the app's origins (here the two Vite servers).
  const sync = start(
    [
      bin,
      ...['--port', String(serverPort), '--db', join(tmp, 'syncline.db')],
      ...['--allow-origin', `${preview},${dev}`, '--log-level', 'warn'],
    ],
    {},
    'pipe',
  )
  server = await new Promise<string>((resolve, reject) => {
    sync.once('exit', code => reject(new Error(`syncline-server exited with ${code}`)))
    sync.stdout!.on('data', chunk => {
      const match = /listening on (http:\/\/\S+)/.exec(String(chunk))
      if (match) resolve(match[1]!)
    })
  })

  const vite = join(app, 'node_modules', 'vite', 'bin', 'vite.js')
  const env = { VITE_SYNCLINE_SERVER: server }
  run(process.execPath, [vite, 'build'], app, env)
  start([vite, 'preview', '--host', '127.0.0.1', '--port', String(previewPort), '--strictPort'])
  start([vite, '--host', '127.0.0.1', '--port', String(devPort), '--strictPort'], env)
  await answers(preview)
  await answers(dev)
})

test.afterAll(async () => {
  await Promise.all(
    children.map(
      child =>
        new Promise<void>(resolve => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          child.once('exit', () => resolve())
          child.kill('SIGTERM')
        }),
    ),
  )
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

test('the tarball holds dist, README and LICENSE, and nothing of tests, e2e, bench or demo', () => {
  const paths = packed.files.map(f => f.path)
  expect(paths).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']))
  expect(
    paths.filter(p => !p.startsWith('dist/') && !['LICENSE', 'README.md', 'package.json'].includes(p)),
  ).toEqual([])
  expect(
    paths.filter(p => /(^|\/)(e2e|bench|demo|testing|fixtures)\/|\.test\.|(?<!\.d)\.ts$/.test(p)),
  ).toEqual([])
})

test('the app type-checks against the packed declarations; wrong types do not compile', () => {
  const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc')
  let output = ''
  try {
    output = run(process.execPath, [tsc, '-p', '.'], app)
  } catch (error) {
    output = (error as { stdout: string }).stdout
  }
  // main.ts and the declarations are clean; wrong-types.ts has exactly its two mistakes.
  expect(output.match(/^\S+\(\d+,\d+\): error TS\d+/gm)).toEqual([
    'src/wrong-types.ts(2,56): error TS2820',
    'src/wrong-types.ts(4,27): error TS2322',
  ])
})

test('two devices sync through the packed server: one on the built app, one on the dev server', async ({
  browser,
}) => {
  const errors: string[] = []
  const device = async (url: string): Promise<Page> => {
    const page = await (await browser.newContext()).newPage()
    page.on('pageerror', error => errors.push(`${url}: ${error.message}`))
    await page.goto(url)
    await expect(page.locator('#status')).toHaveText('synced')
    // The service worker of the guide's plugin controls the page (dev and build alike).
    await expect
      .poll(() => page.evaluate(() => navigator.serviceWorker.controller?.scriptURL))
      .toBe(`${new URL(url).origin}/syncline-sw.js`)
    return page
  }
  const add = async (page: Page, title: string) => {
    await page.getByPlaceholder('Add an item').fill(title)
    await page.getByRole('button', { name: 'Add' }).click()
  }
  const titles = (page: Page) =>
    page
      .locator('#items li')
      .allTextContents()
      .then(t => t.sort())

  const a = await device(preview)
  await expect(a).toHaveURL(/#.+/)
  await add(a, 'Milk')
  await expect.poll(() => titles(a)).toEqual(['Milk'])
  const b = await device(`${dev}/${new URL(a.url()).hash}`)
  await expect.poll(() => titles(b)).toEqual(['Milk'])
  await add(b, 'Bread')
  await expect.poll(() => titles(a)).toEqual(['Bread', 'Milk'])
  await expect.poll(() => titles(b)).toEqual(['Bread', 'Milk'])
  expect(errors).toEqual([])
  await a.context().close()
  await b.context().close()
})
