/** Build channel plugins from config. */
import type { ChannelConfig } from '../../config.js';
import type { Bus } from '../../stream/bus.js';
import type { NotifyChannel } from '../channel.js';
import { ConsoleChannel } from './console.js';
import { EmailChannel } from './email.js';
import { WebhookChannel } from './webhook.js';

export function buildChannels(cfg: ChannelConfig[], bus: Bus): NotifyChannel[] {
  const out: NotifyChannel[] = cfg.map((c) => {
    switch (c.type) {
      case 'webhook': return new WebhookChannel(c.id, c.url, c.secret ?? (c.secretEnv ? process.env[c.secretEnv] : undefined), c.timeoutMs);
      case 'email': return new EmailChannel(c.id, { host: c.host, port: c.port, secure: c.secure, from: c.from, user: c.user,
        password: c.passwordEnv ? process.env[c.passwordEnv] : undefined, timeoutMs: c.timeoutMs });
      case 'console': return new ConsoleChannel(c.id, bus);
    }
  });
  if (!out.some((c) => c.id === 'console')) out.push(new ConsoleChannel('console', bus));
  return out;
}
