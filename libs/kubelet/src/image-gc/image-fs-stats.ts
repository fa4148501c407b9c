// How full the image filesystem is: the runtime says where its images live (CRI ImageFsInfo) and
// how much they take; the filesystem's own capacity and free space come from statfs of that
// mountpoint, as the kubelet's stats provider does. Usage counts everything on that filesystem.
import { statfs } from 'node:fs/promises';
import type { ContainerRuntime } from '../runtime/runtime';

export interface ImageFsStats {
  mountpoint: string;
  capacityBytes: number;
  availableBytes: number;
  /** What the images themselves take. */
  imagesBytes: number;
}

export type StatFs = (path: string) => Promise<{ capacityBytes: number; availableBytes: number }>;

/** Space for an unprivileged writer (bavail), as the kubelet counts available. */
export const systemStatFs: StatFs = async (path) => {
  const s = await statfs(path, { bigint: true });
  return { capacityBytes: Number(s.blocks * s.bsize), availableBytes: Number(s.bavail * s.bsize) };
};

export async function readImageFsStats(
  runtime: ContainerRuntime,
  statFs: StatFs = systemStatFs,
): Promise<ImageFsStats> {
  const [fs] = await runtime.imageFsInfo();
  if (!fs) throw new Error('the container runtime reports no image filesystem');
  if (fs.capacityBytes !== undefined && fs.availableBytes !== undefined) {
    return {
      mountpoint: fs.mountpoint,
      capacityBytes: fs.capacityBytes,
      availableBytes: fs.availableBytes,
      imagesBytes: fs.usedBytes,
    };
  }
  if (!fs.mountpoint) throw new Error('the container runtime names no image filesystem mountpoint');
  const { capacityBytes, availableBytes } = await statFs(fs.mountpoint).catch((err: Error) => {
    throw new Error(`image filesystem ${fs.mountpoint}: ${err.message}`);
  });
  return { mountpoint: fs.mountpoint, capacityBytes, availableBytes, imagesBytes: fs.usedBytes };
}
