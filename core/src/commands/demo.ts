import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Flags } from '@oclif/core';
import { TapirError } from '@tapir/sdk';
import { BaseCommand } from '../cli/BaseCommand.js';
import { runBackup } from '../run/backupRun.js';
import { runRestore } from '../run/restoreRun.js';
import { runVerify } from '../run/verifyRun.js';

export default class Demo extends BaseCommand<typeof Demo> {
  static override summary =
    "Run tapir's main job on embedded defaults: back up a sample tree to a disk destination, verify, restore and compare.";
  static override description =
    'Uses a fresh temporary home (SQLite catalog, disk destination) unless --home is given, and removes it afterwards unless --keep.';
  static override examples = ['<%= config.bin %> demo', '<%= config.bin %> demo --keep --json'];
  static override flags = {
    keep: Flags.boolean({ description: 'keep the temporary home, sample tree and restore', default: false }),
    files: Flags.integer({ description: 'files in the sample tree', default: 200 }),
  };

  async run() {
    const work = await mkdtemp(join(tmpdir(), 'tapir-demo-'));
    this.flags.home ??= join(work, 'home');
    const env = await this.environment();
    try {
      const tree = join(work, 'sample');
      await makeSampleTree(tree, this.flags.files);
      const ctx = env.services(this.signal);
      const full = await runBackup(
        {
          job: 'demo',
          sources: [{ kind: 'files', paths: [tree] }],
          destination: { kind: 'disk', path: join(work, 'backups') },
          transforms: [{ kind: 'zstd', level: 3 }],
          level: 'incremental',
          streams: 1,
        },
        ctx,
      );
      const saveSet = full.saveSets[0]!;
      this.log(
        `backed up ${saveSet.items} items (${saveSet.bytes} bytes) into save set ${saveSet.saveSet}: ${saveSet.status}`,
      );
      const verified = await runVerify(saveSet.saveSet, ctx);
      this.log(`verified ${verified.verified} items: ${verified.ok ? 'ok' : 'DAMAGED'}`);
      const target = join(work, 'restore');
      const restored = await runRestore({ saveSet: saveSet.saveSet, target: { kind: 'files', path: target } }, ctx);
      const [before, after] = await Promise.all([digestTree(tree), digestTree(join(target, tree.slice(1)))]);
      const identical = before === after;
      this.log(
        `restored ${restored.items} items to ${target}; content ${identical ? 'identical' : 'DIFFERENT'} (tree SHA-256 ${after.slice(0, 16)}…)`,
      );
      if (!identical || !verified.ok || saveSet.status !== 'complete') {
        throw new TapirError('TAPIR_E_VERIFY_FAILED', 'the demo round trip did not reproduce the sample tree');
      }
      return {
        ok: true,
        work: this.flags.keep ? work : undefined,
        saveSet,
        verified,
        restored: { items: restored.items, bytes: restored.bytes },
        treeSha256: after,
      };
    } finally {
      if (!this.flags.keep) await rm(work, { recursive: true, force: true });
      else this.log(`kept ${work}`);
    }
  }
}

async function makeSampleTree(root: string, files: number): Promise<void> {
  await mkdir(join(root, 'docs', 'notes'), { recursive: true });
  await mkdir(join(root, 'data'), { recursive: true });
  for (let i = 0; i < files; i++) {
    const dir = i % 3 === 0 ? join(root, 'docs', 'notes') : i % 3 === 1 ? join(root, 'docs') : join(root, 'data');
    const body =
      i % 2 === 0
        ? `note ${i}\n`.repeat(200 + i)
        : createHash('sha256')
            .update(String(i))
            .digest()
            .toString('hex')
            .repeat(50 + i);
    await writeFile(join(dir, `file-${String(i).padStart(4, '0')}.txt`), body);
  }
  await writeFile(join(root, 'empty'), '');
  await symlink('docs/notes', join(root, 'notes-link'));
}

/** SHA-256 over every path and file content of a tree, in name order. */
async function digestTree(root: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      hash.update(relative(root, path) + '\0');
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) hash.update(await readFile(path));
    }
  };
  await walk(root);
  return hash.digest('hex');
}
