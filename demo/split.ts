export {}

/**
 * Two devices side by side. On the first visit Alice creates a Groceries list with a
 * few items and Bob joins it; later visits reopen the same list on both.
 */
interface DemoWindow extends Window {
  demo?: { createList(title: string, items: string[]): Promise<string>; select(id: string): Promise<void> }
}

const KEY = 'syncline-demo:split-list'

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

const alice = await ready(document.getElementById('alice') as HTMLIFrameElement)
const bob = await ready(document.getElementById('bob') as HTMLIFrameElement)
let list = localStorage.getItem(KEY)
if (!list) {
  list = await alice.createList('Groceries', ['Milk', 'Bread', 'Eggs'])
  localStorage.setItem(KEY, list)
} else await alice.select(list)
await bob.select(list)
document.body.dataset.ready = 'true'
