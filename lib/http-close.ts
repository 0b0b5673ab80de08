/** Close a node:http server now: drop keep-alive and streaming connections, then wait for close. */
import type { Server } from 'node:http';

export function closeHttpServer(server: Server | null): Promise<void> {
  if (!server) return Promise.resolve();
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}
