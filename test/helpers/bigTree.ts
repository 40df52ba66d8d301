import { randomBytes } from 'node:crypto';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes `files` files of `mib` MiB of random data each: slow enough to back up that a test can interrupt it. */
export async function makeBigTree(root: string, files = 24, mib = 16): Promise<void> {
  await mkdir(root, { recursive: true });
  for (let i = 0; i < files; i++)
    await writeFile(join(root, `blob-${String(i).padStart(3, '0')}.bin`), randomBytes(mib << 20));
}

/** Resolves once a `.partial` save-set file in `dir` has grown past `bytes`. */
export async function partialGrown(dir: string, bytes: number, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.partial'))) {
      const s = await stat(join(dir, name)).catch(() => undefined);
      if (s && s.size > bytes) return name;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no partial save set in ${dir} grew past ${bytes} bytes within ${timeoutMs} ms`);
}
