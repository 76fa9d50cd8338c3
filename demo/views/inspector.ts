/**
 * The sync inspector: what the replica is doing, in plain view. Connection and
 * leadership, pending and outbox counts, the last reconcile round, the UHLC clock, a
 * cold start's progress, the op log tail, and the ids to share a list with another device.
 */
import type { Client, Inspection, Status } from '../../src/client/index.ts'
import { ago, h, replace } from '../dom.ts'

export function inspector(client: Client, currentList: () => string | undefined) {
  let status: Status | undefined
  let inspection: Inspection | undefined
  let lastError = ''

  const facts = h('dl', { class: 'facts' })
  const progress = h('progress', { max: 1, value: 0, 'aria-label': 'Cold start progress', hidden: true })
  const clock = h('code', { class: 'clock' })
  const ops = h('ol', { class: 'oplog', 'aria-label': 'Recent operations' })
  const share = h('div', { class: 'share' })
  const offline = h('input', { type: 'checkbox', id: 'offline-switch', role: 'switch' })
  offline.addEventListener('change', () => void (offline.checked ? client.pause() : client.resume()))

  const fact = (term: string, value: string, tone = '') => [
    h('dt', {}, term),
    h('dd', { class: tone }, value),
  ]

  const render = () => {
    const s = status
    replace(
      facts,
      ...fact('Network', s?.online ? 'online' : 'offline', s?.online ? 'good' : 'bad'),
      ...fact('Server', s?.connected ? 'connected (live)' : 'not connected', s?.connected ? 'good' : 'bad'),
      ...fact('This tab', s?.leader ? 'leader (talks to the server)' : 'follower'),
      ...fact('Pending ops', String(s?.pendingOps ?? 0), s?.pendingOps ? 'warn' : ''),
      ...fact('Queued offline', String(s?.outboxOps ?? 0), s?.outboxOps ? 'warn' : ''),
      ...fact('Last synced', s?.lastSyncedAt ? ago(s.lastSyncedAt) : 'never'),
      ...fact(
        'Last reconcile',
        s?.lastReconcile
          ? `${s.lastReconcile.outcome}${s.lastReconcile.space === currentList() ? '' : ' (another list)'}, ${ago(s.lastReconcile.at)}`
          : 'not yet',
        s?.lastReconcile?.outcome === 'in-sync' ? 'good' : '',
      ),
      ...(lastError ? fact('Last error', lastError, 'bad') : []),
    )
    if (s?.progress && s.progress.total > 0) {
      progress.hidden = false
      progress.max = s.progress.total
      progress.value = s.progress.done
    } else progress.hidden = true
    const time = inspection?.clock ?? ''
    clock.textContent = time.startsWith('1970-01-01T00:00:00.000000000Z') ? 'no timestamp issued yet' : time
    replace(
      ops,
      ...(inspection?.recentOps ?? [])
        .slice(0, 12)
        .map(({ op, source }) =>
          h(
            'li',
            {},
            h('span', { class: `source ${source}` }, source),
            ` ${op.action} ${op.collection}/${op.record.length > 24 ? `…${op.record.slice(-12)}` : op.record} `,
            h('code', {}, op.hlc.slice(11, 23)),
          ),
        ),
    )
    const list = currentList()
    replace(
      share,
      h('p', {}, 'My device id'),
      copyable(inspection?.device ?? client.device.id),
      ...(list ? [h('p', {}, 'This list’s id (join it from the other device)'), copyable(list)] : []),
    )
  }

  client.status.subscribe(s => {
    status = s
    if (s.error) lastError = `${s.error.code}: ${s.error.message}`
    render()
  })
  client.onError(error => {
    lastError = `${error.code}: ${error.message}`
    render()
  })
  const refresh = async () => {
    inspection = await client.inspect()
    render()
  }
  void refresh()
  setInterval(() => void refresh(), 1000)

  return {
    element: h(
      'aside',
      { class: 'panel inspector', 'aria-label': 'Sync inspector' },
      h('h2', {}, 'Sync inspector'),
      h('label', { class: 'switch', for: 'offline-switch' }, offline, ' Work offline'),
      facts,
      progress,
      h('h3', {}, 'UHLC clock'),
      clock,
      h('h3', {}, 'Op log'),
      ops,
      h('h3', {}, 'Sharing'),
      share,
    ),
    refresh: () => void refresh(),
  }
}

function copyable(text: string) {
  return h(
    'div',
    { class: 'copyable' },
    h('code', {}, text),
    h(
      'button',
      {
        class: 'secondary small',
        'aria-label': 'Copy',
        onclick: (e: Event) => {
          void navigator.clipboard?.writeText(text)
          ;(e.currentTarget as HTMLButtonElement).textContent = 'Copied'
        },
      },
      'Copy',
    ),
  )
}
