/**
 * Client tools of one session: a call waits for the client's `function_call.output`
 * with the same call id. Outputs for unknown (finished, timed out) calls are refused.
 */
export class ClientTools {
  readonly #pending = new Map<string, (output: string) => void>();
  readonly #closed = new AbortController();

  /** Aborted when the session closes: every tool call still running (kept ones too) ends. */
  get closed(): AbortSignal {
    return this.#closed.signal;
  }

  close(): void {
    this.#closed.abort(new Error('the session closed'));
  }

  /** Wait for the output of `callId`; the signal ends the wait (timeout, barge-in). */
  wait(callId: string, signal: AbortSignal): Promise<string> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.#pending.delete(callId);
        reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(callId, (output) => {
        signal.removeEventListener('abort', onAbort);
        this.#pending.delete(callId);
        resolve(output);
      });
    });
  }

  /** `function_call.output` from the client; false when no call waits for it. */
  output(callId: string, output: string): boolean {
    const resolve = this.#pending.get(callId);
    if (resolve === undefined) {
      return false;
    }
    resolve(output);
    return true;
  }

  get pending(): number {
    return this.#pending.size;
  }
}
