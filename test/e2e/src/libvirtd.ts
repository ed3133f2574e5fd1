// Stops and starts the lab's libvirtd (root, no systemd: `libvirtd -d`, pid in /run/libvirtd.pid), as a
// host's hypervisor daemon restarts. virtlogd stays up. Run tests that use this under the lab lock.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { waitUntil } from './services.js';
import { virsh } from './virsh.js';

const PID_FILE = '/run/libvirtd.pid';

/** The pid of the running libvirtd, or undefined when it is not running. */
export function libvirtdPid(): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(PID_FILE, 'utf8').trim());
  } catch {
    return undefined;
  }
  return pid > 0 && alive(pid) ? pid : undefined;
}

/** Whether a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops libvirtd (SIGTERM to the pid in its pid file) and waits until it has exited; the guests run on. */
export async function stopLibvirtd(): Promise<void> {
  const pid = libvirtdPid();
  if (pid === undefined) return;
  process.kill(pid, 'SIGTERM');
  await waitUntil(`libvirtd (pid ${pid}) to exit`, 30_000, async () => (alive(pid) ? undefined : true), 100);
}

/**
 * Starts libvirtd when it is not running and waits until it answers. The daemon gets no file descriptor of
 * ours beyond stdio: one it inherited (say the lab lock a caller's `flock` holds) it would keep for its life.
 */
export async function startLibvirtd(): Promise<void> {
  if (libvirtdPid() === undefined) {
    const closeFds = 'for f in /proc/$$/fd/*; do n=${f##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi; done 2>/dev/null';
    const child = spawn('bash', ['-c', `${closeFds}; exec libvirtd -d`], { stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`libvirtd -d exited with code ${code}`);
  }
  await waitUntil('libvirtd to answer', 30_000, async () => {
    await virsh('list');
    return true;
  }, 100);
}
