import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { policyJsonSchema } from '../electron/services/policy/document.js';

// Regenerates shared/model/policy.schema.json from the zod model (document.test.ts fails when stale).
const file = fileURLToPath(new URL('../shared/model/policy.schema.json', import.meta.url));
writeFileSync(file, `${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${file}\n`);
