/**
 * One structured logger for every part. JSON lines on stderr (pino), child loggers per
 * component, and secrets redacted by key name wherever they appear.
 */
import { pino, destination, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'password', '*.password', '*.*.password', 'token', '*.token', 'secret', '*.secret',
  'authorization', '*.authorization', 'headers.authorization', 'key', '*.key', 'sig', '*.sig',
];

export function createLogger(opts: { name: string; level?: string } = { name: 'dcim' }): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level ?? process.env.DCIM_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'),
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
    },
    destination(2),
  );
}

/** A logger that drops everything; for tests that assert on counters, not on log lines. */
export const silentLogger: Logger = pino({ level: 'silent' });
