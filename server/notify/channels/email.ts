/** E-mail channel over SMTP (nodemailer). A recipient without an address is a failed delivery (so fallback applies). */
import { createTransport, type Transporter } from 'nodemailer';
import type { NotifyChannel, NotifyMessage, Recipient } from '../channel.js';

export interface EmailOptions { host: string; port: number; secure?: boolean; from: string; user?: string; password?: string; timeoutMs?: number }

export class EmailChannel implements NotifyChannel {
  readonly type = 'email';
  private readonly transport: Transporter;
  constructor(readonly id: string, private readonly o: EmailOptions) {
    const t = o.timeoutMs ?? 10_000;
    this.transport = createTransport({
      host: o.host, port: o.port, secure: o.secure ?? false, ignoreTLS: !o.secure && o.host === '127.0.0.1',
      auth: o.user ? { user: o.user, pass: o.password ?? '' } : undefined,
      connectionTimeout: t, greetingTimeout: t, socketTimeout: t,
    });
  }

  async send(msg: NotifyMessage, to: Recipient): Promise<void> {
    if (!to.email) throw new Error(`recipient ${to.id} has no e-mail address`);
    const tag = msg.drill ? '[DRILL] ' : '';
    await this.transport.sendMail({
      from: this.o.from, to: to.email, subject: `${tag}${msg.priority ? `[${msg.priority}] ` : ''}${msg.subject}`,
      text: `${msg.text}\n\n${JSON.stringify({ kind: msg.kind, id: msg.subjectId, level: msg.level, ts: new Date(msg.ts).toISOString() })}`,
      headers: { 'X-DCIM-Kind': msg.kind, 'X-DCIM-Subject-Id': msg.subjectId },
    });
  }

  async close(): Promise<void> { this.transport.close(); }
}
