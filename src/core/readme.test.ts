/** The README's core example must run as written (API.md). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'

it('runs the core example of the README', async () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('## The core'))
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1]
  expect(code).toBeDefined()
  const index = new URL('./index.ts', import.meta.url).pathname
  const file = join(mkdtempSync(join(tmpdir(), 'readme-')), 'example.ts')
  writeFileSync(
    file,
    `${code!.replace("'syncline/core'", JSON.stringify(index))}\nexport { checked, space }\n`,
  )
  const { checked, space } = await import(/* @vite-ignore */ file)
  expect(checked.ok).toBe(true)
  expect(space.get('items', 'milk')).toEqual({ done: true })
})
