/** The tabs' channel: nothing sent by a tab alone, and a catch-up when tabs meet. */
import { describe, expect, it } from 'vitest'
import { fakeOp } from './oplog-conformance.ts'
import { openTabChannel, type TabMessage } from './tab-channel.ts'

const settle = () => new Promise(resolve => setTimeout(resolve, 20))

function tab(name: string) {
  const got: TabMessage[] = []
  const channel = openTabChannel(name, message => got.push(message))
  return { channel, got }
}

describe('tab channel', () => {
  it('sends nothing while a tab is alone; when a second tab opens both read the log, then ops travel', async () => {
    const name = `tabs-${Date.now()}-${Math.random()}`
    // A listener on the raw channel sees what a tab actually sends.
    const wire: TabMessage[] = []
    const raw = new BroadcastChannel(`syncline:${name}`)
    const first = tab(name)
    await settle()
    raw.onmessage = event => wire.push(event.data as TabMessage)
    first.channel.post({ type: 'ops', ops: [fakeOp('s', 1)] })
    first.channel.post({ type: 'log-changed' })
    await settle()
    expect(wire).toEqual([])

    const second = tab(name)
    await settle()
    // Each learned once that it is not alone, and reads the log for what it missed.
    expect(first.got.filter(m => m.type === 'log-changed').length).toBeGreaterThanOrEqual(1)
    expect(second.got.filter(m => m.type === 'log-changed').length).toBeGreaterThanOrEqual(1)
    expect([...first.got, ...second.got].some(m => m.type === 'hello' || m.type === 'here')).toBe(false)

    first.channel.post({ type: 'ops', ops: [fakeOp('s', 2)] })
    await settle()
    expect(second.got.filter(m => m.type === 'ops')).toEqual([{ type: 'ops', ops: [fakeOp('s', 2)] }])
    first.channel.close()
    second.channel.close()
    raw.close()
  })
})
