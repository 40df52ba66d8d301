import { readFileSync } from 'node:fs';

/** User and group names by id, read once from /etc/passwd and /etc/group (Node has no getpwuid). */
export class Accounts {
  private users?: Map<number, string>;
  private groups?: Map<number, string>;

  user(uid: number): string | undefined {
    this.users ??= readIds('/etc/passwd');
    return this.users.get(uid);
  }

  group(gid: number): string | undefined {
    this.groups ??= readIds('/etc/group');
    return this.groups.get(gid);
  }
}

function readIds(file: string): Map<number, string> {
  const map = new Map<number, string>();
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && id && !map.has(Number(id))) map.set(Number(id), name);
    }
  } catch {
    // No account database (a minimal container): ids only.
  }
  return map;
}
