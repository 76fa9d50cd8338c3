/** Set reconciliation (PROTOCOL.md §5-6): the XOR set sketch, set ids, and the reconcile and schema-sync protocols. */
export {
  type DecodeResult,
  decode,
  decodeReference,
  type PeelOrder,
  type PeelOutcome,
  peelWith,
  unpack,
  type Verify,
} from './decode.ts'
export {
  answerReconcile,
  buildReconcileRequest,
  cellsNeeded,
  DEFAULT_FIRST_CELLS,
  estimateDifference,
  type FailedRound,
  firstCells,
  nextReconcileStep,
  parseReconcileReply,
  parseReconcileRequest,
  type ReconcileAnswer,
  type ReconcileOptions,
  type ReconcileReply,
  type ReconcileRequest,
  type ReconcileRequestWire,
  type ReconcileServerSet,
  type ReconcileStep,
  retryCells,
  saturatedRetry,
} from './reconcile.ts'
export {
  answerSchemaSync,
  buildSchemaRequest,
  descriptorsToSend,
  parseSchemaAnswer,
  parseSchemaRequest,
  SCHEMA_CELLS,
  type SchemaAnswer,
  type SchemaRequest,
  type SchemaRequestWire,
  type SchemaServerState,
} from './schema-sync.ts'
export { SetIdSum, setIdOf } from './set-id.ts'
export {
  DEFAULT_CELL_CAP,
  ELEMENT_BYTES,
  elementHash,
  isPowerOfTwo,
  SetSketch,
  type SketchWire,
} from './set-sketch.ts'
export { elementOf, SetSummary } from './set-summary.ts'
