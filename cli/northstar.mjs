#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader (a devDependency): no build step, and
// configurations written in TypeScript load the same way.
import { register } from 'tsx/esm/api';

register();
await import('./run.ts');
