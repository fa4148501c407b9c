import { unwatchFile, watchFile } from 'node:fs';

/**
 * Calls `onChange` once the files have changed and stayed unchanged for `settleMs` (a rotation
 * writes the key, then the certificate: one reload for both). Polls the files' stat, which sees
 * atomic renames too. Returns the function that stops watching.
 */
export function watchFiles(
  files: string[],
  onChange: () => void,
  { intervalMs = 1000, settleMs = 300 }: { intervalMs?: number; settleMs?: number } = {},
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, settleMs);
    timer.unref();
  };
  const unique = [...new Set(files)];
  for (const f of unique) watchFile(f, { interval: intervalMs, persistent: false }, changed);
  return () => {
    clearTimeout(timer);
    for (const f of unique) unwatchFile(f, changed);
  };
}
