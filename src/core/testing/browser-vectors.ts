/** Loads a conformance vector file from a browser test (through a Vitest command). */
import { commands } from 'vitest/browser'

declare module 'vitest/browser' {
  interface BrowserCommands {
    readVectors(name: string): Promise<string>
  }
}

export async function loadBrowserVectors<T = unknown>(
  name: 'uhlc' | 'ops' | 'schema' | 'merge' | 'sketch',
): Promise<T> {
  return JSON.parse(await commands.readVectors(name)) as T
}
