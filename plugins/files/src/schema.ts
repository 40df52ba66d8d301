import type { JSONSchema } from '@tapir/sdk';

/** Options of the `files` source. */
export interface FilesSourceOptions {
  /** Absolute or relative paths of the trees to back up. */
  paths: string[];
  /** Glob patterns; when given, only files matching one are stored (directories are always walked). */
  include?: string[];
  /** Glob patterns of files and directories to leave out. A pattern without `/` matches a base name. */
  exclude?: string[];
  /** Record extended attributes. @defaultValue true */
  xattrs?: boolean;
  /** Detect sparse files and store only their data regions. @defaultValue true */
  sparse?: boolean;
}

/** Options of the `files` restore target. */
export interface FilesRestoreOptions {
  /** Directory to restore into. Must be empty or not exist, unless `overwrite`. */
  path: string;
  /** Restore into a non-empty directory, replacing files of the same name. @defaultValue false */
  overwrite?: boolean;
}

export const sourceSchema: JSONSchema = {
  type: 'object',
  required: ['paths'],
  properties: {
    paths: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    include: { type: 'array', items: { type: 'string', minLength: 1 } },
    exclude: { type: 'array', items: { type: 'string', minLength: 1 } },
    xattrs: { type: 'boolean', default: true },
    sparse: { type: 'boolean', default: true },
  },
  additionalProperties: false,
};

export const restoreSchema: JSONSchema = {
  type: 'object',
  required: ['path'],
  properties: {
    path: { type: 'string', minLength: 1 },
    overwrite: { type: 'boolean', default: false },
  },
  additionalProperties: false,
};
