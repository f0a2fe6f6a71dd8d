/**
 * Lets a loop sleep until there may be work: `wait` resolves on `wake` (true) or after a timeout
 * (false). A wake that comes while nobody waits is remembered, so the next wait returns at once and
 * none is lost.
 */
export class WakeSignal {
  #pending = false;
  #resolve: ((woken: boolean) => void) | null = null;

  wake(): void {
    const resolve = this.#resolve;
    if (resolve) {
      this.#resolve = null;
      resolve(true);
    } else {
      this.#pending = true;
    }
  }

  wait(timeoutMs: number): Promise<boolean> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#resolve = null;
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.#resolve = (woken) => {
        clearTimeout(timer);
        resolve(woken);
      };
    });
  }
}
