#!/usr/bin/env node
/** The `smbprobe` executable: wires process streams and SIGINT to the program and exits with its code. */
import { main } from './program.js';

// A reader that went away (`smbprobe pcap | head`) is not an error: stop quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

let interrupts = 0;
const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  onInterrupt(handler) {
    const on = () => {
      // first ^C: stop starting hosts and close the output; second: leave now
      if (++interrupts > 1) process.exit(130);
      handler();
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
    return () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    };
  },
});
process.exitCode = code;
