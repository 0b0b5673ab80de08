/**
 * Webhook channel: POST the message as JSON. Signed with HMAC-SHA256 over `${timestamp}.${body}`
 * in `X-DCIM-Signature: sha256=<hex>` with `X-DCIM-Timestamp` (ms), so a receiver can check origin
 * and freshness. Non-2xx or timeout is a failed delivery.
 */
import { createHmac } from 'node:crypto';
import type { NotifyChannel, NotifyMessage, Recipient } from '../channel.js';

export function webhookSignature(secret: string, ts: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
}

export class WebhookChannel implements NotifyChannel {
  readonly type = 'webhook';
  constructor(readonly id: string, private readonly url: string, private readonly secret: string | undefined, private readonly timeoutMs = 5000) {}

  async send(msg: NotifyMessage, to: Recipient): Promise<void> {
    const body = JSON.stringify({ ...msg, recipient: to.id });
    const ts = String(msg.ts);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-dcim-timestamp': ts };
    if (this.secret) headers['x-dcim-signature'] = webhookSignature(this.secret, ts, body);
    const res = await fetch(this.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) throw new Error(`webhook answered HTTP ${res.status}`);
  }
}
