import { access } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { startXapiSimulator } from '../src/index.js';
import { call, login } from './support/xapi-client.js';

describe('startXapiSimulator', () => {
  it('puts each host on its own loopback address and one free port, and stop() releases everything', async () => {
    const sim = await startXapiSimulator({
      hosts: 3,
      password: 'p',
      vms: [{ name: 'v', disks: [{ sizeBytes: 1 << 20 }] }],
    });
    const port = new URL(sim.url).port;
    expect(sim.hostUrls).toEqual([1, 2, 3].map((i) => `http://127.0.0.${i}:${port}`));
    const session = await login(sim.url, 'p');
    const { token } = await call(sim.url, 'event.from', session, ['*'], '', 0);
    const poll = call(sim.url, 'event.from', session, ['sr'], token, 60).catch(() => 'ended');
    const diskFile = sim.state.vmDisks('v')[0]!.disk.path;
    const started = Date.now();
    await sim.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    await poll;
    await expect(access(diskFile)).rejects.toThrow();
    await expect(fetch(`${sim.url}/jsonrpc`, { method: 'POST', body: '{}' })).rejects.toThrow();
  });

  it('runs two simulators side by side', async () => {
    const [a, b] = await Promise.all([startXapiSimulator({ password: 'a' }), startXapiSimulator({ password: 'b' })]);
    try {
      expect(a.url).not.toBe(b.url);
      expect(await login(a.url, 'a')).toMatch(/^OpaqueRef:/);
      await expect(login(b.url, 'a')).rejects.toMatchObject({ code: 'SESSION_AUTHENTICATION_FAILED' });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
