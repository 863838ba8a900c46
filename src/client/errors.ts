/**
 * Errors a reconcile can throw. TerminalError means "retrying cannot help" (an invalid
 * spec, say): the key is forgotten instead of re-queued. Cancellation is not a failure.
 */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

export function isAbort(err: unknown, signal?: AbortSignal): boolean {
  return (signal?.aborted ?? false) || (err instanceof Error && (err.name === 'AbortError' || (err as any).code === 'ABORT_ERR'));
}
