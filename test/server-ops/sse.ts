/** A small SSE client over a real socket (fetch), collecting events for assertions. */
export interface SseEvent { event: string; id?: string; data: Record<string, unknown> }
export interface SseClient { events: SseEvent[]; status: number; next(pred: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>; close(): void }

export async function sse(url: string, headers: Record<string, string>): Promise<SseClient> {
  const ac = new AbortController();
  const res = await fetch(url, { headers, signal: ac.signal });
  const events: SseEvent[] = [];
  const waiters: { pred: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
  const client: SseClient = {
    events, status: res.status,
    next(pred, timeoutMs = 30_000) {
      const found = events.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (e: SseEvent) => { clearTimeout(t); resolve(e); } };
        const t = setTimeout(() => { waiters.splice(waiters.indexOf(w), 1); reject(new Error(`no matching SSE event within ${timeoutMs} ms (got ${events.map((e) => e.event).join(',')})`)); }, timeoutMs);
        waiters.push(w);
      });
    },
    close() { ac.abort(); },
  };
  if (!res.body) return client;
  void (async () => {
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i); buf = buf.slice(i + 2);
          let event = 'message'; let id: string | undefined; const data: string[] = [];
          for (const line of frame.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (!data.length) continue;
          const e: SseEvent = { event, id, data: JSON.parse(data.join('\n')) };
          events.push(e);
          for (const w of [...waiters]) if (w.pred(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e); }
        }
      }
    } catch { /* aborted */ }
  })();
  return client;
}
