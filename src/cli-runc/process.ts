import type { Argv } from 'yargs';
export default function register(y: Argv): Argv { return y; }
