/**
 * Lets a loop sleep until there may be work: `wait` resolves on `wake` or after a timeout. A wake
 * that comes while nobody waits is remembered, so the next wait returns at once and none is lost.
 */
export class WakeSignal {
  #pending = false;
  #resolve: (() => void) | null = null;

  wake(): void {
    const resolve = this.#resolve;
    if (resolve) {
      this.#resolve = null;
      resolve();
    } else {
      this.#pending = true;
    }
  }

  wait(timeoutMs: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#resolve = null;
        resolve();
      }, timeoutMs);
      timer.unref();
      this.#resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
