/**
 * The demo's data model, on the public API only. One space per list:
 *  - `meta` (lww): record `list` holds the title;
 *  - `items` (lww, fields merge): one record per item;
 *  - `tags` (lwwset): one element per item tag, `<item>:<tag>`;
 *  - `history` (gset): what happened, for the activity feed;
 *  - `profile` (lww, owned): each device's display name, writable only by it.
 */
import type { Client, Space } from '../src/client/index.ts'
import { randomId } from './dom.ts'

export const SCHEMA = {
  meta: { crdt: 'lww' },
  items: { crdt: 'lww', onConflict: 'merge' },
  tags: { crdt: 'lwwset' },
  history: { crdt: 'gset' },
  profile: { crdt: 'lww', owned: true },
} as const

export interface Item {
  title: string
  done: boolean
  order: number
}
export interface Tag {
  item: string
  tag: string
}
export interface Event {
  text: string
  at: number
  by: string
}
export interface Profile {
  name: string
}

/** The lists this device has joined, kept in localStorage per device name. */
export function knownLists(device: string): string[] {
  return JSON.parse(localStorage.getItem(`syncline-demo:${device}:lists`) ?? '[]') as string[]
}

export function rememberList(device: string, id: string): void {
  const lists = knownLists(device)
  if (!lists.includes(id))
    localStorage.setItem(`syncline-demo:${device}:lists`, JSON.stringify([...lists, id]))
}

export class ListModel {
  constructor(
    readonly space: Space,
    private readonly me: string,
  ) {}

  get meta() {
    return this.space.collection<{ title: string }>('meta')
  }
  get items() {
    return this.space.collection<Item>('items')
  }
  get tags() {
    return this.space.collection<Tag>('tags')
  }
  get history() {
    return this.space.collection<Event>('history')
  }
  get profiles() {
    return this.space.collection<Profile>('profile')
  }

  private log(text: string) {
    return this.history.put(`${Date.now().toString(36)}-${randomId()}`, { text, at: Date.now(), by: this.me })
  }

  async rename(title: string) {
    await this.meta.put('list', { title })
    await this.log(`renamed the list to “${title}”`)
  }

  async add(title: string) {
    const id = randomId()
    await this.items.put(id, { title, done: false, order: Date.now() })
    await this.log(`added “${title}”`)
  }

  async toggle(id: string, item: Item) {
    await this.items.update(id, { done: !item.done })
    await this.log(`${item.done ? 'unchecked' : 'checked'} “${item.title}”`)
  }

  async retitle(id: string, title: string, old: string) {
    await this.items.update(id, { title })
    await this.log(`renamed “${old}” to “${title}”`)
  }

  async remove(id: string, item: Item) {
    await this.items.delete(id)
    await this.log(`removed “${item.title}”`)
  }

  async tag(item: string, tag: string) {
    await this.tags.put(`${item}:${tag}`, { item, tag })
  }

  async untag(item: string, tag: string) {
    await this.tags.delete(`${item}:${tag}`)
  }

  async setName(name: string) {
    await this.profiles.put('me', { name })
  }
}

/** Creates a list: a new space with a title and this device's profile. */
export async function createList(client: Client, device: string, title: string): Promise<ListModel> {
  const space = await client.createSpace()
  rememberList(device, space.id)
  const list = new ListModel(space, device)
  await list.setName(device)
  await list.rename(title)
  return list
}
