#!/usr/bin/env node
// The `dcim` command. Registers the TypeScript loader (tsx), then runs the dispatcher.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
