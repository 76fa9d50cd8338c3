/**
 * One list: its title, items (lww fields: title, done), tags (lwwset), the activity
 * feed (gset) and who is here (owned profiles). Everything re-renders from live
 * queries, so local edits, other tabs and the other device all show the same way.
 */
import type { TypedRow } from '../../src/client/index.ts'
import { ago, h, replace } from '../dom.ts'
import type { Event, Item, ListModel, Profile, Tag } from '../model.ts'

export function listView(model: ListModel, device: string) {
  let items: TypedRow<Item>[] = []
  let tags: TypedRow<Tag>[] = []
  let events: TypedRow<Event>[] = []
  let profiles: TypedRow<Profile>[] = []

  const title = h('input', { class: 'list-title', 'aria-label': 'List title', maxlength: 80 })
  title.addEventListener('change', () => void model.rename(title.value.trim() || 'Untitled list'))
  const itemList = h('ul', { class: 'items', 'aria-label': 'Items' })
  const activity = h('ol', { class: 'activity', 'aria-label': 'Activity' })
  const people = h('p', { class: 'people' })
  const newItem = h('input', { id: 'new-item', placeholder: 'Add an item', required: true, maxlength: 120 })
  const addForm = h(
    'form',
    {
      class: 'inline-form add-item',
      onsubmit: async (e: globalThis.Event) => {
        e.preventDefault()
        const text = newItem.value.trim()
        if (!text) return
        newItem.value = ''
        await model.add(text)
      },
    },
    h('label', { for: 'new-item', class: 'sr-only' }, 'New item'),
    newItem,
    h('button', { type: 'submit' }, 'Add'),
  )

  const nameOf = (id: string) => profiles.find(p => p.owner === id)?.value.name ?? id.slice(0, 6)

  const renderItem = ({ id, value }: TypedRow<Item>) => {
    const checkbox = h('input', {
      type: 'checkbox',
      checked: value.done,
      'aria-label': `Done: ${value.title}`,
      onchange: () => void model.toggle(id, value),
    })
    const text = h('input', {
      class: 'item-title',
      value: value.title,
      'aria-label': 'Item title',
      maxlength: 120,
    })
    text.addEventListener(
      'change',
      () => void model.retitle(id, text.value.trim() || value.title, value.title),
    )
    const itemTags = tags.filter(t => t.value.item === id)
    const tagInput = h('input', {
      class: 'tag-input',
      placeholder: '+ tag',
      'aria-label': `Add a tag to ${value.title}`,
      maxlength: 24,
    })
    const tagForm = h(
      'form',
      {
        class: 'tag-form',
        onsubmit: (e: globalThis.Event) => {
          e.preventDefault()
          const tag = tagInput.value.trim().toLowerCase()
          if (tag) void model.tag(id, tag)
          tagInput.value = ''
        },
      },
      tagInput,
    )
    return h(
      'li',
      { class: value.done ? 'item done' : 'item', 'data-id': id },
      checkbox,
      text,
      h(
        'span',
        { class: 'tags' },
        ...itemTags.map(t =>
          h(
            'button',
            {
              class: 'tag',
              title: 'Remove tag',
              'aria-label': `Remove tag ${t.value.tag}`,
              onclick: () => void model.untag(id, t.value.tag),
            },
            `#${t.value.tag}`,
          ),
        ),
        tagForm,
      ),
      h(
        'button',
        {
          class: 'icon danger',
          'aria-label': `Delete ${value.title}`,
          onclick: () => void model.remove(id, value),
        },
        '✕',
      ),
    )
  }

  const renderItems = () => {
    // Keep the element being edited: re-rendering would steal its focus.
    const focused = document.activeElement?.closest('li.item')?.getAttribute('data-id')
    const sorted = [...items].sort((a, b) => a.value.order - b.value.order)
    const nodes = sorted.map(row => {
      if (row.id === focused) {
        const existing = itemList.querySelector(`li[data-id="${CSS.escape(row.id)}"]`)
        if (existing) return existing
      }
      return renderItem(row)
    })
    replace(itemList, ...nodes)
    if (sorted.length === 0)
      itemList.append(h('li', { class: 'empty' }, 'Nothing here yet. Add an item above.'))
  }

  const renderActivity = () => {
    const latest = [...events].sort((a, b) => b.value.at - a.value.at).slice(0, 12)
    replace(
      activity,
      ...latest.map(e =>
        h('li', {}, h('strong', {}, nameOf(e.value.by)), ` ${e.value.text} `, h('time', {}, ago(e.value.at))),
      ),
    )
  }

  const renderPeople = () => {
    replace(
      people,
      'Here: ',
      ...profiles.map((p, i) =>
        h('span', { class: p.owner === device ? 'person me' : 'person' }, `${i ? ', ' : ''}${p.value.name}`),
      ),
    )
  }

  const stops = [
    model.meta.subscribe(rows => {
      const t = rows.find(r => r.id === 'list')?.value.title ?? ''
      if (document.activeElement !== title) title.value = t
    }),
    model.items.subscribe(rows => {
      items = rows
      renderItems()
    }),
    model.tags.subscribe(rows => {
      tags = rows
      renderItems()
    }),
    model.history.subscribe(rows => {
      events = rows
      renderActivity()
    }),
    model.profiles.subscribe(rows => {
      profiles = rows
      renderPeople()
      renderActivity()
    }),
  ]
  const ticker = setInterval(renderActivity, 10_000)

  return {
    element: h(
      'section',
      { class: 'panel list-view', 'aria-label': 'List' },
      title,
      people,
      addForm,
      itemList,
      h('h3', {}, 'Activity'),
      activity,
    ),
    stop() {
      for (const stop of stops) stop()
      clearInterval(ticker)
    },
  }
}
