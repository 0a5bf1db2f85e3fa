/** Exits the backend when the editor process is gone, even if it died without closing our stdin. */
export function watchParentProcess(parentPid: number, onGone: () => void, intervalMs = 3000): () => void {
  const timer = setInterval(() => {
    try {
      process.kill(parentPid, 0);
    } catch (e) {
      // EPERM means it exists but belongs to someone else: still alive.
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') {
        clearInterval(timer);
        onGone();
      }
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
