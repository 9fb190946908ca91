/** How long the portal waits for a NATS read (KV) before it treats NATS as away and answers from what it last read. */
export const NATS_READ_TIMEOUT_MS = 2000;

/** `work`, or a rejection when it has not settled within `ms` (NATS away: a request would otherwise wait much longer). */
export async function within<T>(work: Promise<T>, ms: number = NATS_READ_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from NATS within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
