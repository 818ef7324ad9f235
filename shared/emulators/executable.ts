/** Moved to the core (../executable.ts), where the ICMP prober finds ping too; kept for the local pipeline's imports. */
export { findExecutable } from '../executable.ts';
