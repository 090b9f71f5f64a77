/** Writes src/api/contract.d.ts from src/api/contract.ts (see test/unit/contract.test.ts). */
import { writeFileSync } from 'node:fs';
import { declarationOf } from '../test/helpers/contract-dts.js';

writeFileSync(new URL('../src/api/contract.d.ts', import.meta.url), declarationOf(new URL('../src/api/contract.ts', import.meta.url).pathname));
