/**
 * The React hooks in real Chromium against a real client (a module worker on
 * IndexedDB, no server): what a component renders as the replica changes, and that a
 * hook's subscription ends with the component, StrictMode's double mount included.
 */
import { act, Component, createElement, type ReactNode, StrictMode } from 'react'
import { createRoot, type Root } from 'react-dom/client'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type Client,
  type Collection,
  createClient,
  type Status,
  SynclineError,
  type TypedRow,
} from '../client/index.ts'
import { useQuery, useRecord, useSyncStatus } from './index.ts'

interface Item {
  title: string
  done: boolean
}

let counter = 0
const clients: Client[] = []
const roots: Root[] = []

async function open(): Promise<Client> {
  const client = await createClient({
    name: `react-test-${Date.now()}-${counter++}`,
    schema: { items: { crdt: 'lww' }, profile: { crdt: 'lww', owned: true } },
    serviceWorker: false,
  })
  clients.push(client)
  return client
}

/**
 * Runs `work` inside `act`, so React has rendered what it caused when this resolves.
 * React is told it is in a test only meanwhile: the engine's messages arrive later, on
 * their own, and render as they do in an app (the waits below poll for them).
 */
async function inAct(work: () => void | Promise<void>): Promise<void> {
  const flags = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }
  flags.IS_REACT_ACT_ENVIRONMENT = true
  try {
    await act(work)
  } finally {
    flags.IS_REACT_ACT_ENVIRONMENT = false
  }
}

afterEach(async () => {
  for (const root of roots.splice(0)) await inAct(() => root.unmount())
  for (const client of clients.splice(0)) await client.close()
})

async function mount(node: ReactNode): Promise<Root> {
  const root = createRoot(document.createElement('div'))
  roots.push(root)
  await inAct(() => root.render(node))
  return root
}

/** Waits until `assertion` passes: the engine's results come from a worker. */
const until = (assertion: () => void) => vi.waitFor(assertion, { timeout: 10_000, interval: 5 })

/** Records every value a hook returned, render by render. */
function recorder<T>() {
  const seen: T[] = []
  return { seen, push: (value: T) => void seen.push(value), latest: () => seen.at(-1) }
}

/** `collection` with a count of its subscriptions: started in all, and still running. */
function counted<T extends object>(collection: Collection<T>) {
  const count = { started: 0, running: 0 }
  const spy: Collection<T> = {
    ...collection,
    subscribe(listener, options) {
      count.started++
      count.running++
      const stop = collection.subscribe(listener, options)
      return () => {
        count.running--
        stop()
      }
    },
  }
  return { spy, count }
}

function Rows(props: {
  items: Collection<Item> | undefined
  prefix?: string
  record: (rows: TypedRow<Item>[] | undefined) => void
}) {
  props.record(useQuery(props.items, { prefix: props.prefix }))
  return null
}

const titles = (rows: TypedRow<Item>[] | undefined) => rows?.map(row => `${row.id}:${row.value.title}`)

describe('useQuery', () => {
  it('is undefined until the first result, then shows the rows already there', async () => {
    const items = (await (await open()).createSpace()).collection<Item>('items')
    await items.put('b', { title: 'Bread', done: false })
    await items.put('a', { title: 'Apples', done: false })
    const rows = recorder<TypedRow<Item>[] | undefined>()
    await mount(createElement(Rows, { items, record: rows.push }))
    expect(rows.seen[0]).toBeUndefined()
    await until(() =>
      expect(rows.latest()).toEqual([
        { id: 'a', value: { title: 'Apples', done: false } },
        { id: 'b', value: { title: 'Bread', done: false } },
      ]),
    )
  })

  it('renders again after a put, an update and a delete', async () => {
    const items = (await (await open()).createSpace()).collection<Item>('items')
    const rows = recorder<TypedRow<Item>[] | undefined>()
    await mount(createElement(Rows, { items, record: rows.push }))
    await until(() => expect(rows.latest()).toEqual([]))

    await items.put('milk', { title: 'Milk', done: false })
    await until(() => expect(rows.latest()).toEqual([{ id: 'milk', value: { title: 'Milk', done: false } }]))
    await items.update('milk', { done: true })
    await until(() => expect(rows.latest()).toEqual([{ id: 'milk', value: { title: 'Milk', done: true } }]))
    await items.delete('milk')
    await until(() => expect(rows.latest()).toEqual([]))
  })

  it('subscribes again when the prefix changes, and only then', async () => {
    const items = (await (await open()).createSpace()).collection<Item>('items')
    await items.put('a1', { title: 'A', done: false })
    await items.put('b1', { title: 'B', done: false })
    const { spy, count } = counted(items)
    const rows = recorder<TypedRow<Item>[] | undefined>()
    const root = await mount(createElement(Rows, { items: spy, prefix: 'a', record: rows.push }))
    await until(() => expect(titles(rows.latest())).toEqual(['a1:A']))
    expect(count).toEqual({ started: 1, running: 1 })

    // A new render with an equal (inline, so new) options object keeps the subscription.
    await inAct(() => root.render(createElement(Rows, { items: spy, prefix: 'a', record: rows.push })))
    expect(count).toEqual({ started: 1, running: 1 })

    await inAct(() => root.render(createElement(Rows, { items: spy, prefix: 'b', record: rows.push })))
    await until(() => expect(titles(rows.latest())).toEqual(['b1:B']))
    expect(count).toEqual({ started: 2, running: 1 })

    // The new subscription is the one that follows changes.
    await items.put('a2', { title: 'A2', done: false })
    await items.put('b2', { title: 'B2', done: false })
    await until(() => expect(titles(rows.latest())).toEqual(['b1:B', 'b2:B2']))
  })

  it('gets the same collection back for the same name, so an inline call does not resubscribe', async () => {
    const space = await (await open()).createSpace()
    expect(space.collection('items')).toBe(space.collection('items'))
    expect(space.collection('items')).not.toBe(space.collection('profile'))
  })

  it('stops its subscription on unmount: no render after it', async () => {
    const items = (await (await open()).createSpace()).collection<Item>('items')
    const { spy, count } = counted(items)
    const rows = recorder<TypedRow<Item>[] | undefined>()
    const root = await mount(createElement(Rows, { items: spy, record: rows.push }))
    await until(() => expect(rows.latest()).toEqual([]))
    await inAct(() => root.unmount())
    expect(count).toEqual({ started: 1, running: 0 })

    const renders = rows.seen.length
    // Another live query sees the write: by then the engine has sent it to every live query.
    let seenElsewhere = false
    const stop = items.subscribe(list => (seenElsewhere ||= list.length === 1))
    await items.put('late', { title: 'Late', done: false })
    await until(() => expect(seenElsewhere).toBe(true))
    stop()
    expect(rows.seen.length).toBe(renders)
  })

  it('under StrictMode: the double mount leaves one subscription, which ends on unmount', async () => {
    const items = (await (await open()).createSpace()).collection<Item>('items')
    const { spy, count } = counted(items)
    const rows = recorder<TypedRow<Item>[] | undefined>()
    const root = await mount(
      createElement(StrictMode, null, createElement(Rows, { items: spy, record: rows.push })),
    )
    await until(() => expect(rows.latest()).toEqual([]))
    // StrictMode subscribed, unsubscribed and subscribed again.
    expect(count).toEqual({ started: 2, running: 1 })

    await items.put('x', { title: 'X', done: false })
    await until(() => expect(titles(rows.latest())).toEqual(['x:X']))
    await inAct(() => root.unmount())
    expect(count.running).toBe(0)
  })

  it('throws a query that cannot run to the error boundary, as a coded SynclineError', async () => {
    const client = await open()
    const space = await client.createSpace()
    const caught: unknown[] = []
    class Boundary extends Component<{ children: ReactNode }, { failed: boolean }> {
      override state = { failed: false }
      static getDerivedStateFromError = () => ({ failed: true })
      override componentDidCatch = (error: unknown) => void caught.push(error)
      override render = () => (this.state.failed ? null : this.props.children)
    }
    function Broken() {
      useQuery(space.collection('nope'))
      return null
    }
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    try {
      await mount(createElement(Boundary, null, createElement(Broken)))
      await until(() => expect(caught).toHaveLength(1))
    } finally {
      quiet.mockRestore()
    }
    expect(caught[0]).toBeInstanceOf(SynclineError)
    expect(caught[0]).toMatchObject({ code: 'unknown_collection' })
  })

  it('stays undefined without a collection', async () => {
    const rows = recorder<TypedRow<Item>[] | undefined>()
    await mount(createElement(Rows, { items: undefined, record: rows.push }))
    expect(rows.seen.length).toBeGreaterThan(0)
    expect(rows.seen.every(value => value === undefined)).toBe(true)
  })
})

describe('useRecord', () => {
  function One(props: {
    collection: Collection<Item>
    id: string
    owner?: string
    record: (value: Item | null | undefined) => void
  }) {
    props.record(useRecord(props.collection, props.id, { owner: props.owner }))
    return null
  }

  it('is undefined while loading, null while missing, then the live value', async () => {
    const items = (await (await open()).createSpace()).collection<Item>('items')
    // Same prefix, another record: it must not count.
    await items.put('milkshake', { title: 'Shake', done: false })
    const value = recorder<Item | null | undefined>()
    await mount(createElement(One, { collection: items, id: 'milk', record: value.push }))
    expect(value.seen[0]).toBeUndefined()
    await until(() => expect(value.latest()).toBeNull())

    await items.put('milk', { title: 'Milk', done: false })
    await until(() => expect(value.latest()).toEqual({ title: 'Milk', done: false }))
    await items.update('milk', { done: true })
    await until(() => expect(value.latest()).toEqual({ title: 'Milk', done: true }))
    await items.delete('milk')
    await until(() => expect(value.latest()).toBeNull())
  })

  it('reads the record of the given owner in an owned collection', async () => {
    const client = await open()
    const profile = (await client.createSpace()).collection<Item>('profile')
    await profile.put('me', { title: 'Ana', done: false })
    const mine = recorder<Item | null | undefined>()
    const someoneElse = recorder<Item | null | undefined>()
    const me = client.device.id
    await mount(createElement(One, { collection: profile, id: 'me', owner: me, record: mine.push }))
    await mount(
      createElement(One, { collection: profile, id: 'me', owner: 'other', record: someoneElse.push }),
    )
    await until(() => expect(mine.latest()).toEqual({ title: 'Ana', done: false }))
    await until(() => expect(someoneElse.latest()).toBeNull())
  })
})

describe('useSyncStatus', () => {
  function ShowStatus(props: { client: Client | undefined; record: (status: Status | undefined) => void }) {
    props.record(useSyncStatus(props.client))
    return null
  }

  it('follows the client: pending ops after a write with no server, then paused', async () => {
    const client = await open()
    const status = recorder<Status | undefined>()
    await mount(createElement(ShowStatus, { client, record: status.push }))
    await until(() =>
      expect(status.latest()).toMatchObject({ pendingOps: 0, paused: false, connected: false }),
    )

    const items = (await client.createSpace()).collection<Item>('items')
    await items.put('milk', { title: 'Milk', done: false })
    // The space's genesis op and the put: with no server, they stay pending.
    await until(() => expect(status.latest()?.pendingOps).toBe(2))

    await client.pause()
    await until(() => expect(status.latest()).toMatchObject({ paused: true, pendingOps: 2 }))
  })

  it('stays undefined without a client', async () => {
    const status = recorder<Status | undefined>()
    await mount(createElement(ShowStatus, { client: undefined, record: status.push }))
    expect(status.seen.length).toBeGreaterThan(0)
    expect(status.seen.every(value => value === undefined)).toBe(true)
  })
})
