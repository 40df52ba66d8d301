import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  chmod,
  chown,
  link,
  lstat,
  lutimes,
  mkdir,
  open,
  readFile,
  readdir,
  readlink,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join, relative } from 'node:path';
import { getAttribute, listAttributes, setAttribute } from 'fs-xattr';

export const isRoot = process.getuid?.() === 0;

/**
 * Builds a tree holding every kind of file tapir must keep: regular files (empty, small, multi-chunk), directories
 * (nested, empty), relative/absolute/dangling symlinks, hard links, a sparse file, long and non-ASCII names, odd
 * modes, foreign ownership (when root), sub-second mtimes and extended attributes.
 */
export async function makeTree(root: string, options: { bigFileBytes?: number } = {}): Promise<void> {
  await mkdir(join(root, 'dir/sub/deeper'), { recursive: true });
  await mkdir(join(root, 'empty-dir'));
  await writeFile(join(root, 'empty-file'), '');
  await writeFile(join(root, 'small.txt'), 'hello, tapir\n'.repeat(100));
  await writeFile(join(root, 'dir/random.bin'), randomBytes(3 * 1024 * 1024 + 17));
  await writeFile(
    join(root, 'dir/sub/text.log'),
    Array.from({ length: 20000 }, (_, i) => `line ${i} of a log\n`).join(''),
  );
  if (options.bigFileBytes) await writeFile(join(root, 'dir/big.bin'), randomBytes(options.bigFileBytes));
  await writeFile(join(root, 'dir/sub/deeper/leaf'), 'leaf');
  // Long names: a path beyond ustar's 100+155 and a single 200-byte name.
  const longDir = join(root, 'long', 'a'.repeat(90), 'b'.repeat(90), 'c'.repeat(90));
  await mkdir(longDir, { recursive: true });
  await writeFile(join(longDir, `${'n'.repeat(200)}.txt`), 'long');
  // Non-ASCII names.
  await mkdir(join(root, 'ünïcödé'));
  await writeFile(join(root, 'ünïcödé', '日本語のファイル.txt'), 'こんにちは');
  await writeFile(join(root, 'ünïcödé', 'emoji-🦛.txt'), 'tapir');
  // Links.
  await symlink('small.txt', join(root, 'link-relative'));
  await symlink('/etc/hostname', join(root, 'link-absolute'));
  await symlink('does/not/exist', join(root, 'link-dangling'));
  await writeFile(join(root, 'hard-a'), 'shared by two names\n');
  await link(join(root, 'hard-a'), join(root, 'dir/hard-b'));
  // Sparse: 64 MiB apparent, two data regions.
  const sparse = await open(join(root, 'sparse.img'), 'w');
  await sparse.write(randomBytes(100_000), 0, 100_000, 4096 * 10);
  await sparse.write(randomBytes(8192), 0, 8192, 40 * 1024 * 1024);
  await sparse.truncate(64 * 1024 * 1024);
  await sparse.close();
  // Modes and ownership.
  await writeFile(join(root, 'script.sh'), '#!/bin/sh\necho hi\n');
  await chmod(join(root, 'script.sh'), 0o755);
  await writeFile(join(root, 'secret'), 'private');
  await chmod(join(root, 'secret'), 0o600);
  await writeFile(join(root, 'setuid'), 'x');
  await chmod(join(root, 'setuid'), 0o4750);
  await chmod(join(root, 'dir/sub'), 0o750);
  if (isRoot) {
    await chown(join(root, 'secret'), 1234, 5678);
    await chown(join(root, 'dir/sub/deeper'), 4321, 8765);
  }
  // Extended attributes.
  await setAttribute(join(root, 'small.txt'), 'user.comment', Buffer.from('a note'));
  await setAttribute(join(root, 'small.txt'), 'user.binary', Buffer.from([0, 1, 2, 255]));
  await setAttribute(join(root, 'dir'), 'user.project', Buffer.from('tapir'));
  // Sub-second modification times, set last (children first so directory times stay).
  const when = 1_700_000_000.123456;
  await utimes(join(root, 'small.txt'), when, when);
  await utimes(join(root, 'dir/random.bin'), when + 1.5, when + 1.5);
  await lutimes(join(root, 'link-relative'), when + 2, when + 2);
  await utimes(join(root, 'dir/sub/deeper'), when + 3, when + 3);
  await utimes(join(root, 'dir/sub'), when + 4, when + 4);
}

/** Everything the tests compare about one path. */
export interface PathFacts {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size?: number;
  mtimeMs?: number;
  sha256?: string;
  link?: string;
  xattrs?: Record<string, string>;
  /** Other paths sharing this inode. */
  hardLinks?: string[];
  /** True when the file occupies fewer blocks than its size. */
  sparse?: boolean;
}

/** Facts about every path under `root`, by relative path. */
export async function snapshot(root: string): Promise<Record<string, PathFacts>> {
  const out: Record<string, PathFacts> = {};
  const inodes = new Map<number, string[]>();
  const walk = async (dir: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const rel = relative(root, path);
      const s = await lstat(path);
      const facts: PathFacts = {
        type: s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : 'file',
        mode: s.mode,
        uid: s.uid,
        gid: s.gid,
        mtimeMs: Math.floor(s.mtimeMs),
      };
      if (s.isSymbolicLink()) {
        facts.link = await readlink(path);
      } else {
        const names = await listAttributes(path);
        if (names.length)
          facts.xattrs = Object.fromEntries(
            await Promise.all(names.sort().map(async (n) => [n, (await getAttribute(path, n)).toString('hex')])),
          );
      }
      if (s.isFile()) {
        facts.size = s.size;
        facts.sha256 = createHash('sha256')
          .update(await readFile(path))
          .digest('hex');
        facts.sparse = s.blocks * 512 < s.size;
        if (s.nlink > 1) inodes.set(s.ino, [...(inodes.get(s.ino) ?? []), rel]);
      }
      out[rel] = facts;
      if (s.isDirectory()) await walk(path);
    }
  };
  await walk(root);
  for (const group of inodes.values()) for (const p of group) out[p]!.hardLinks = group.filter((g) => g !== p);
  return out;
}

/** Facts without what GNU tar does not restore (times of directories and symlinks, xattrs, sparseness). */
export function contentOnly(facts: Record<string, PathFacts>): Record<string, Partial<PathFacts>> {
  return Object.fromEntries(
    Object.entries(facts).map(([p, f]) => [p, { type: f.type, size: f.size, sha256: f.sha256, link: f.link }]),
  );
}

/** Runs a command and returns its stdout (throws with stderr on failure). */
export function sh(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
}
