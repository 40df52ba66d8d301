import { test } from 'vitest';
import { startVtl } from '../../test/tgt/vtl.js';
import { IscsiTransport, testUnitReady, inquiry, parseInquiry, write6, writeFilemarks6, rewind, read6, moveMedium, readElementStatus, parseElementStatus, describeSense } from '../src/index.js';

test('scratch', async () => {
  const vtl = await startVtl({ tapeSizeMb: 1 });
  try {
    const t = await IscsiTransport.connect({ host: vtl.host, port: vtl.port, targetName: vtl.targetName, timeoutMs: 5000 });
    console.log(t.parameters);
    for (const lun of [1, 2, 3]) {
      let r = await t.execute(lun, testUnitReady());
      console.log(lun, r.status, r.sense && describeSense(r.sense));
      r = await t.execute(lun, inquiry());
      console.log(lun, r.status, parseInquiry(r.data));
    }
    for (const type of [1, 2, 3, 4] as const) {
      const r = await t.execute(3, readElementStatus({ type, volumeTags: true, deviceIds: type === 4 }));
      console.log(type, r.status, r.data.length, JSON.stringify(parseElementStatus(r.data)));
    }
    let r = await t.execute(3, moveMedium(10, 1));
    console.log('move', r.status, r.sense && describeSense(r.sense));
    for (let i = 0; i < 5; i++) { r = await t.execute(1, testUnitReady()); console.log('tur', r.status, r.sense && describeSense(r.sense)); if (r.status === 0) break; }
    r = await t.execute(1, write6(Buffer.alloc(100000, 1)));
    console.log('write', r.status, r.sense && describeSense(r.sense));
    r = await t.execute(1, writeFilemarks6(1));
    r = await t.execute(1, write6(Buffer.alloc(5000, 2)));
    r = await t.execute(1, rewind());
    r = await t.execute(1, read6(300000));
    console.log('read', r.status, r.data.length, r.sense && describeSense(r.sense));
    r = await t.execute(1, read6(300000));
    console.log('read', r.status, r.data.length, r.sense && describeSense(r.sense));
    for (let i = 0; i < 12; i++) { r = await t.execute(1, write6(Buffer.alloc(100000, 3))); console.log('w', i, r.status, r.sense && describeSense(r.sense)); }
    console.log((await import("node:child_process")).execFileSync("tgtimg",["--op","show","--device-type","tape","--file",vtl.tapeFile("TAPE0001L6")]).toString().slice(0,1500));
    await t.close();
  } finally {
    await vtl.stop();
  }
});
