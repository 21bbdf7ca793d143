/** Exposes the SDK to Playwright specs: each spec drives createLocalrec through page.evaluate. */
import { createLocalrec } from '../../../src/index';

declare global {
  interface Window {
    localrecHarness: { createLocalrec: typeof createLocalrec };
  }
}

window.localrecHarness = { createLocalrec };
document.getElementById('state')!.textContent = 'ready';
