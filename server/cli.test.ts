/**
 * The `syncline-server` command: it says where it listens and which store it uses,
 * and on SIGTERM lets an in-flight request finish, closes the database and exits 0.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseDuration } from './cli.ts'
import { sqliteStore } from './store/sqlite-store.ts'
import { TestDevice } from './testing/test-device.ts'
import { TEST_SCHEMA } from './testing/test-server.ts'

const dir = mkdtempSync(join(tmpdir(), 'syncline-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const bin = join(import.meta.dirname, 'bin', 'syncline-server.mjs')

function start(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', d => (out += d))
  child.stderr!.on('data', d => (out += d))
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m) resolve({ child, url: m[1]!, output: () => out })
    })
    child.once('exit', code => reject(new Error(`exited with ${code}: ${out}`)))
  })
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise(resolve => {
    if (child.exitCode !== null) resolve(child.exitCode)
    else child.once('exit', code => resolve(code))
  })
}

describe('syncline-server command', () => {
  it('prints where it listens and its store, and stops cleanly on SIGTERM after an in-flight push', async () => {
    const db = join(dir, 'cli.db')
    const { child, url, output } = await start(['--port', '0', '--db', db, '--log-level', 'warn'])
    expect(output()).toContain(`(store: sqlite ${db})`)
    const device = await TestDevice.connect(url)
    await device.putSchema('s', TEST_SCHEMA)
    const op = await device.op('s', 'items', 'x')
    const body = JSON.stringify({ ops: [op] })
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${url}/v1/push`, {
        method: 'POST',
        headers: { authorization: `Bearer ${device.token}`, 'content-length': Buffer.byteLength(body) },
      })
      req.on('response', res => {
        let text = ''
        res.on('data', d => (text += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      })
      req.on('error', reject)
      // Half the body now, the signal, then the rest: the request is in flight when the stop begins.
      req.write(body.slice(0, 100))
      setTimeout(() => {
        child.kill('SIGTERM')
        setTimeout(() => req.end(body.slice(100)), 100)
      }, 100)
    })
    const res = await answer
    expect(res.status).toBe(200)
    expect(JSON.parse(res.text).results[0]).toMatchObject({ status: 'accepted', seq: 1 })
    expect(await exited(child)).toBe(0)
    expect(output()).toContain('syncline-server stopped')
    const store = sqliteStore(db)
    expect((await store.pull('s', { after: 0, limit: 10 })).rows.map(r => r.id)).toEqual([op.id])
    await store.close()
  })

  it('refuses unknown flags and bad values with exit code 2', async () => {
    const db = join(dir, 'never.db')
    for (const args of [
      ['--port', 'eighty'],
      ['--max-drift', 'soon'],
      ['--log-level', 'loud'],
      ['--colour'],
    ]) {
      const child = spawn(process.execPath, [bin, '--db', db, ...args], { stdio: 'ignore' })
      expect(await exited(child)).toBe(2)
    }
    // Bad flags are refused before the database is created.
    expect(existsSync(db)).toBe(false)
  })

  it('reads durations with units', () => {
    expect(parseDuration('250', 'x')).toBe(250)
    expect(parseDuration('30d', 'x')).toBe(30 * 86_400_000)
    expect(parseDuration('1.5s', 'x')).toBe(1500)
    expect(() => parseDuration('soon', 'x')).toThrow()
  })
})
