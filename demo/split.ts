export {}

/**
 * Two devices side by side. On the first visit Alice creates a Groceries list with a
 * few items and Bob joins it; later visits reopen the same list on both.
 */
interface DemoWindow extends Window {
  demo?: { createList(title: string, items: string[]): Promise<string>; select(id: string): Promise<void> }
}

const KEY = `syncline-demo:split-list:${new URLSearchParams(location.search).get('server') ?? location.origin}`

function ready(frame: HTMLIFrameElement): Promise<NonNullable<DemoWindow['demo']>> {
  return new Promise(resolve => {
    const check = () => {
      const demo = (frame.contentWindow as DemoWindow | null)?.demo
      if (demo && frame.contentDocument?.body.dataset.ready === 'true') resolve(demo)
      else setTimeout(check, 50)
    }
    check()
  })
}

// Each frame is one device; other query parameters (say `server`) pass through.
const frames = ['alice', 'bob'].map(device => {
  const frame = document.getElementById(device) as HTMLIFrameElement
  const params = new URLSearchParams(location.search)
  params.set('device', device)
  frame.src = `./index.html?${params}`
  return frame
})
const alice = await ready(frames[0]!)
const bob = await ready(frames[1]!)
let list = localStorage.getItem(KEY)
if (!list) {
  list = await alice.createList('Groceries', ['Milk', 'Bread', 'Eggs'])
  localStorage.setItem(KEY, list)
} else await alice.select(list)
await bob.select(list)
document.body.dataset.ready = 'true'
