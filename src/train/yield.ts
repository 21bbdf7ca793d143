/**
 * Lets timers and I/O run between training steps: tensor reads on the wasm backend
 * resolve as microtasks, so without this a progress bar's redraw timer never fires.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
