/**
 * The demo as a person uses it (issue 7): two devices side by side on the split page,
 * driven through their labelled controls; offline on one side, edits on both, back
 * online, both show the same. Screenshots go to e2e/output for a reviewer.
 */
import { expect, type FrameLocator, type Page, test } from '@playwright/test'
import { type RunningServer, startServer } from './support/server.ts'

let server: RunningServer
test.beforeEach(async () => {
  server = await startServer()
})
test.afterEach(async () => {
  await server.stop()
})

async function openSplit(page: Page) {
  const errors: string[] = []
  page.on('pageerror', error => errors.push(String(error)))
  page.on('console', message => {
    if (message.type() === 'error') errors.push(message.text())
  })
  await page.goto(`/demo/split.html?server=${encodeURIComponent(server.url)}`)
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 })
  return { alice: page.frameLocator('#alice'), bob: page.frameLocator('#bob'), errors }
}

const itemTitles = (device: FrameLocator) =>
  device.getByRole('list', { name: 'Items' }).getByRole('textbox', { name: 'Item title' })

test('add, check, tag and delete on one device; the other sees it all', async ({ page }) => {
  const { alice, bob, errors } = await openSplit(page)
  await expect(itemTitles(bob)).toHaveCount(3)
  await alice.getByLabel('New item').fill('Coffee')
  await alice.getByLabel('New item').press('Enter')
  await expect(itemTitles(bob).last()).toHaveValue('Coffee')
  await alice.getByRole('checkbox', { name: 'Done: Milk' }).check()
  await expect(bob.getByRole('checkbox', { name: 'Done: Milk' })).toBeChecked()
  await bob.getByLabel('Add a tag to Bread').fill('bakery')
  await bob.getByLabel('Add a tag to Bread').press('Enter')
  await expect(alice.getByRole('button', { name: 'Remove tag bakery' })).toBeVisible()
  await bob.getByRole('button', { name: 'Delete Eggs' }).click()
  await expect(itemTitles(alice)).toHaveCount(3)
  await expect(alice.getByRole('list', { name: 'Activity' })).toContainText('bob removed “Eggs”')
  await page.screenshot({ path: 'e2e/output/demo-split-desktop.png' })
  expect(errors).toEqual([])
})

test('offline edits on both devices converge when the network is back', async ({ page }) => {
  const { alice, bob, errors } = await openSplit(page)
  await expect(itemTitles(bob)).toHaveCount(3)
  await alice.getByLabel('Work offline').check()
  await alice.getByLabel('New item').fill('Tea')
  await alice.getByLabel('New item').press('Enter')
  await bob.getByLabel('New item').fill('Apples')
  await bob.getByLabel('New item').press('Enter')
  await alice.getByRole('checkbox', { name: 'Done: Bread' }).check()
  // Alice is offline: Bob does not see her changes yet.
  await expect(bob.getByRole('checkbox', { name: 'Done: Bread' })).not.toBeChecked()
  await expect(alice.getByText('Pending ops')).toBeVisible()
  await page.screenshot({ path: 'e2e/output/demo-split-offline.png' })
  await alice.getByLabel('Work offline').uncheck()
  for (const device of [alice, bob]) {
    await expect(itemTitles(device)).toHaveCount(5)
    await expect(device.getByRole('checkbox', { name: 'Done: Bread' })).toBeChecked()
  }
  // Back online, Alice checked her live set against the server's (a reconcile round).
  const inspector = alice.getByRole('complementary', { name: 'Sync inspector' })
  await expect(inspector.getByText(/^(in-sync|diff), /)).toBeVisible()
  const titles = async (device: FrameLocator) =>
    (await itemTitles(device).evaluateAll(els => els.map(e => (e as HTMLInputElement).value))).sort()
  expect(await titles(alice)).toEqual(await titles(bob))
  expect(errors).toEqual([])
})

test('the demo is readable on a phone-width screen', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
  const page = await context.newPage()
  await page.goto(`/demo/index.html?device=phone&server=${encodeURIComponent(server.url)}`)
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 })
  await page.getByLabel('New list title').fill('Hiking plans')
  await page.getByLabel('New list title').press('Enter')
  await page.getByLabel('New item').fill('Boots')
  await page.getByLabel('New item').press('Enter')
  await expect(page.getByRole('textbox', { name: 'Item title' })).toHaveValue('Boots')
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  )
  expect(overflow).toBeLessThanOrEqual(0)
  await page.screenshot({ path: 'e2e/output/demo-phone.png', fullPage: true })
  await context.close()
})
