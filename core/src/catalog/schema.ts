/** Table types of the catalog, for Kysely's typed queries. */
import type { Generated } from 'kysely';

export interface JobTable {
  id: Generated<number>;
  name: string;
  created_at: string;
}

export interface RunTable {
  id: Generated<number>;
  job_id: number;
  started_at: string;
  ended_at: string | null;
  /** running | ok | warning | failed */
  status: string;
  pid: number;
  host: string;
  error: string | null;
}

export interface SaveSetTable {
  id: string;
  run_id: number;
  job_id: number;
  object: string;
  level: string;
  parent_id: string | null;
  /** running | complete | failed */
  status: string;
  /** Destination kind and options (JSON), so restore can reopen it. */
  destination: string;
  /** The save-set header (JSON). */
  header: string;
  items: number;
  bytes: number;
  stored_bytes: number;
  started_at: string;
  completed_at: string | null;
  error: string | null;
}

/**
 * The items of a save set, 256 manifest records to a row (`ITEMS_PER_PAGE`), in the order they were added (walk
 * order for a backup).
 */
export interface ItemPageTable {
  save_set_id: string;
  /** 0, 1, 2, … within the save set. */
  page: number;
  /** The records, a JSON array of manifest lines. */
  records: string;
}

/** The `items` view: one row per record of {@link ItemPageTable}, with the columns read from it. */
export interface ItemTable {
  save_set_id: string;
  path: string;
  type: string;
  size: number | null;
  mtime_ns: string | null;
  hash: string | null;
  /** The save set whose archive holds the data. */
  data_save_set_id: string | null;
  change_token: string | null;
  /** The full manifest line (JSON). */
  record: string;
}

export interface MediumTable {
  id: string;
  kind: string;
  label: string | null;
  pool: string | null;
  state: string;
  created_at: string;
  files: number;
  bytes: number;
  last_written: string | null;
  location: string | null;
  retain_until: string | null;
}

export interface ExtentTable {
  save_set_id: string;
  sequence: number;
  medium_id: string | null;
  location: string;
  bytes: number;
}

export interface CatalogDatabase {
  jobs: JobTable;
  runs: RunTable;
  save_sets: SaveSetTable;
  item_pages: ItemPageTable;
  items: ItemTable;
  media: MediumTable;
  extents: ExtentTable;
}
