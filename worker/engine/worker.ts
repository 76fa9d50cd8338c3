/**
 * The engine's Web Worker entry: one per tab, spoken to over Comlink by src/client.
 * The sync loop is built here, where fetch and WebSocket are the browser's own.
 */
import { expose } from 'comlink'
import { createEngine } from './engine.ts'

expose(createEngine())
