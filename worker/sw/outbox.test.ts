import { memoryOutbox, type Outbox } from './outbox.ts'
import { outboxConformance } from './outbox-conformance.ts'

const outboxes = new Map<string, Outbox>()
outboxConformance('memory', async name => {
  if (!outboxes.has(name)) outboxes.set(name, memoryOutbox())
  return outboxes.get(name)!
})
