/** The lists this device has joined, and the forms to create or join one. */
import type { Client } from '../../src/client/index.ts'
import { h, replace } from '../dom.ts'
import { createList, knownLists, rememberList } from '../model.ts'

export function listsPanel(
  client: Client,
  device: string,
  select: (id: string) => void,
  current: () => string | undefined,
) {
  const list = h('ul', { class: 'lists', 'aria-label': 'Your lists' })
  const titles = new Map<string, string>()
  const watched = new Set<string>()

  const render = () => {
    replace(
      list,
      ...knownLists(device).map(id =>
        h(
          'li',
          {},
          h(
            'button',
            {
              class: id === current() ? 'list-link active' : 'list-link',
              'aria-current': id === current() ? 'page' : undefined,
              onclick: () => select(id),
            },
            titles.get(id) ?? 'Untitled list',
          ),
        ),
      ),
    )
  }

  const watch = (id: string) => {
    if (watched.has(id)) return
    watched.add(id)
    client
      .space(id)
      .collection<{ title: string }>('meta')
      .subscribe(rows => {
        const title = rows.find(r => r.id === 'list')?.value.title
        if (title) titles.set(id, title)
        render()
      })
  }

  const title = h('input', {
    id: 'new-list',
    name: 'title',
    placeholder: 'Groceries',
    required: true,
    maxlength: 80,
  })
  const create = h(
    'form',
    {
      class: 'inline-form',
      onsubmit: async (event: Event) => {
        event.preventDefault()
        const model = await createList(client, device, title.value.trim() || 'Untitled list')
        title.value = ''
        watch(model.space.id)
        select(model.space.id)
      },
    },
    h('label', { for: 'new-list', class: 'sr-only' }, 'New list title'),
    title,
    h('button', { type: 'submit' }, 'New list'),
  )

  const joinId = h('input', {
    id: 'join-list',
    name: 'id',
    placeholder: 'List id from another device',
    required: true,
  })
  const join = h(
    'form',
    {
      class: 'inline-form',
      onsubmit: (event: Event) => {
        event.preventDefault()
        const id = joinId.value.trim()
        if (!id) return
        rememberList(device, id)
        joinId.value = ''
        watch(id)
        select(id)
      },
    },
    h('label', { for: 'join-list', class: 'sr-only' }, 'List id to join'),
    joinId,
    h('button', { type: 'submit', class: 'secondary' }, 'Join'),
  )

  for (const id of knownLists(device)) watch(id)
  render()
  return {
    element: h(
      'nav',
      { class: 'panel lists-panel', 'aria-label': 'Lists' },
      h('h2', {}, 'Lists'),
      list,
      create,
      join,
    ),
    refresh: () => {
      for (const id of knownLists(device)) watch(id)
      render()
    },
  }
}
