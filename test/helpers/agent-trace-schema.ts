import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const dataDir = new URL('../data/agent-trace/', import.meta.url);

/** Validators for the Agent Trace 0.1.0 JSON Schemas kept as test data (see test/data/agent-trace/README.md). */
function validator(file: string) {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv.compile(JSON.parse(readFileSync(new URL(file, dataDir), 'utf8')));
}

const spec = validator('trace-record.spec.schema.json');
const strict = validator('trace-record.strict.schema.json');

/** Every problem the two schemas find in `record` (empty when it is a valid Agent Trace record). */
export function agentTraceProblems(record: unknown): string[] {
  const problems: string[] = [];
  for (const [name, validate] of [
    ['spec', spec],
    ['strict', strict],
  ] as const) {
    if (!validate(record)) {
      for (const e of validate.errors ?? []) problems.push(`${name}: ${e.instancePath} ${e.message}`);
    }
  }
  return problems;
}
