// @flotilla/io: the edges the storage and Raft code reach the world through (time, files, the
// garbage collector), injected so that the seeded simulation runs the same code on virtual ones.
import { Clock, systemClock } from './clock';
import { FileSystem, nodeFileSystem } from './file-system';
import { References, gcReferences } from './references';

export type { Clock, Timer } from './clock';
export { systemClock } from './clock';
export type { FileHandle, FileSystem, OpenFlags } from './file-system';
export { nodeFileSystem } from './file-system';
export type { References } from './references';
export { gcReferences, strongReferences } from './references';

export interface Io {
  clock: Clock;
  fs: FileSystem;
  references: References;
}

/** Node's own: what a master runs on. */
export const nodeIo: Io = { clock: systemClock, fs: nodeFileSystem, references: gcReferences };

/** The defaults filled in where a caller passed only some. */
export function ioWith(overrides: Partial<Io> | undefined): Io {
  return { ...nodeIo, ...overrides };
}
