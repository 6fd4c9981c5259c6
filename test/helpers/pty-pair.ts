/**
 * A linked pair of pseudo-terminals, so serial code runs over a real tty driver in tests. Made by
 * test/helpers/pty-bridge.py (Python standard library only, nothing to install); the bridge stops when we close its
 * stdin or kill it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface PtyPair {
  a: string;
  b: string;
  close(): void;
}

const BRIDGE = fileURLToPath(new URL('./pty-bridge.py', import.meta.url));

export function openPtyPair(): Promise<PtyPair> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [BRIDGE], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.once('error', reject);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const [a, b] = out.slice(0, nl).trim().split(' ');
      resolve({
        a,
        b,
        close: () => {
          child.stdin.end();
          child.kill();
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`pty bridge exited early (code ${code})`)));
  });
}
