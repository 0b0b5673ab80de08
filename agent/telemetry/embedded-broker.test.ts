import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { EmbeddedBroker } from './embedded-broker.js';

describe('embedded broker', () => {
  it('carries a QoS 1 message between two clients and stops cleanly', async () => {
    const b = new EmbeddedBroker({ port: 0 });
    const url = await b.start();
    expect(url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    const sub = await mqtt.connectAsync(url);
    const got = new Promise<string>((resolve) => sub.on('message', (_t, p) => resolve(p.toString())));
    await sub.subscribeAsync('dcim/v1/#', { qos: 1 });
    const pub = await mqtt.connectAsync(url);
    await pub.publishAsync('dcim/v1/s/a/event', 'hello', { qos: 1 });
    expect(await got).toBe('hello');
    await pub.endAsync();
    await sub.endAsync();
    await b.stop();
  });

  it('a port in use is a clear error naming the fix', async () => {
    const a = new EmbeddedBroker({ port: 0 });
    const url = await a.start();
    const b = new EmbeddedBroker({ port: Number(new URL(url).port) });
    await expect(b.start()).rejects.toThrow(/EADDRINUSE.*set broker\.url/);
    await a.stop();
  });
});
