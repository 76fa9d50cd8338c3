/** The command line that replays one simulator seed with a trace of every event. */
export function replayCommand(seed: number): string {
  return `node --import tsx worker/engine/simulator/run.ts --seed ${seed} --trace`
}
