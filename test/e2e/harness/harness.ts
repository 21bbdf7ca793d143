/** Exposes the SDK to Playwright specs: each spec drives createLocalrec through page.evaluate. */
import { createLocalrec } from '../../../src/index';

declare global {
  interface Window {
    localrecHarness: { createLocalrec: typeof createLocalrec };
  }
}

// Specs about other things run with consent granted; the consent specs pass their own.
window.localrecHarness = { createLocalrec: (options) => createLocalrec({ consent: 'granted', ...options }) };
document.getElementById('state')!.textContent = 'ready';
