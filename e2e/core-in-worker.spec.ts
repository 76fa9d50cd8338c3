import { expect, test } from '@playwright/test'

test('the core signs, verifies and merges in a module Web Worker', async ({ page }) => {
  const errors: string[] = []
  page.on('console', message => {
    if (message.type() === 'error') errors.push(message.text())
  })
  await page.goto('/e2e/fixtures/core-in-worker.html')
  await expect(page.locator('#result')).toHaveText('done')
  const result = await page.evaluate(() => (window as unknown as { coreResult: unknown }).coreResult)
  expect(result).toEqual({
    backend: 'webcrypto',
    valid: [true, true, true],
    forward: { _members: {}, items: { bread: { title: 'Bread' }, milk: { title: 'Milk', done: true } } },
    backward: { _members: {}, items: { bread: { title: 'Bread' }, milk: { title: 'Milk', done: true } } },
  })
  expect(errors).toEqual([])
})
