/**
 * The Syncline demo: shared lists that work offline and sync when they can.
 * `?device=alice` picks the local replica, so two devices fit in one browser
 * (split.html shows both side by side). Built only on the public API.
 */
import { createClient } from '../src/client/index.ts'
import { h, replace } from './dom.ts'
import { createList, ListModel, rememberList, SCHEMA } from './model.ts'
import { inspector } from './views/inspector.ts'
import { listsPanel } from './views/lists-panel.ts'
import { listView } from './views/list-view.ts'

const params = new URLSearchParams(location.search)
const device = params.get('device') ?? 'me'
const server = params.get('server') ?? location.origin
const root = document.getElementById('app')!

const client = await createClient({ name: `demo-${device}`, server, schema: SCHEMA })
document.title = `${device} · Syncline demo`

let currentId: string | undefined
let current: ReturnType<typeof listView> | undefined
const main = h('div', { class: 'list-slot' })

const select = async (id: string) => {
  rememberList(device, id)
  currentId = id
  history.replaceState(null, '', `${location.pathname}?${params}#${id}`)
  current?.stop()
  const model = new ListModel(client.space(id), device)
  current = listView(model, device)
  replace(main, current.element)
  lists.refresh()
  panel.refresh()
  if (!(await model.profiles.get('me'))) await model.setName(device)
}

const lists = listsPanel(
  client,
  device,
  id => void select(id),
  () => currentId,
)
const panel = inspector(client, () => currentId)

replace(
  root,
  h(
    'header',
    { class: 'topbar' },
    h('h1', {}, 'Syncline ', h('span', { class: 'subtitle' }, 'shared lists, offline first')),
    h('span', { class: 'device-chip', title: client.device.id }, device),
  ),
  h('main', { class: 'layout' }, lists.element, main, panel.element),
)
root.removeAttribute('aria-busy')

// The parent split page joins the other device to the list this one made.
const join = params.get('join') ?? location.hash.slice(1)
if (join) await select(join)
else {
  replace(
    main,
    h(
      'section',
      { class: 'panel list-view empty-state' },
      h('p', {}, 'Create a list, or join one by its id.'),
    ),
  )
}

window.addEventListener('message', event => {
  if (event.origin === location.origin && typeof event.data?.join === 'string') void select(event.data.join)
})
/** For the split page and the end-to-end tests. */
Object.assign(window, {
  demo: {
    client,
    device,
    select,
    currentList: () => currentId,
    async createList(title: string, items: string[] = []) {
      const model = await createList(client, device, title)
      for (const item of items) await model.add(item)
      await select(model.space.id)
      return model.space.id
    },
  },
})
document.body.dataset.ready = 'true'
