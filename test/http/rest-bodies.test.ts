import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as classroomRest from '../../schema/classroom-rest.ts';
import * as projectRest from '../../schema/project-rest.ts';
import * as rest from '../../schema/rest.ts';
import * as reviewRest from '../../schema/review-rest.ts';
import { operations } from '../../server/http/openapi-document.ts';

// Issue 10, house item 2: the zod schemas are the only definition of REST bodies, with the types inferred from
// them and shared with the SDK. The run, steer, room, join, policy and role bodies had a hand-written
// interface in schema/protocol/rest.ts beside a zod schema in server/http/, free to drift apart.

const root = join(import.meta.dirname, '../..');

describe('REST bodies have one definition (REVIEW-20)', () => {
  it('REVIEW-20: every JSON body the server validates is a zod schema exported from schema/*rest.ts', () => {
    const shared = new Set<unknown>(
      [rest, projectRest, reviewRest, classroomRest].flatMap((m) => Object.values(m)),
    );
    const elsewhere = operations
      .filter((op) => op.body !== undefined)
      .filter((op) => !shared.has(op.body))
      .map((op) => `${op.method.toUpperCase()} ${op.route}`);
    expect(elsewhere).toEqual([]);
    expect(operations.filter((op) => op.body !== undefined).length).toBeGreaterThan(15);
  });

  it('REVIEW-20: the wire contract declares no request body by hand, and the server defines none in http/', () => {
    const dir = join(root, 'schema/protocol');
    const handWritten = readdirSync(dir).flatMap((f) =>
      [...readFileSync(join(dir, f), 'utf8').matchAll(/export interface (\w+Request)\b/g)].map(
        (m) => `schema/protocol/${f}: ${m[1]}`,
      ),
    );
    expect(handWritten).toEqual([]);
    const http = join(root, 'server/http');
    const schemas = readdirSync(http).flatMap((f) =>
      /\bz\.object\(/.test(readFileSync(join(http, f), 'utf8')) ? [`server/http/${f}`] : [],
    );
    expect(schemas).toEqual([]);
  });
});
