// Fuzz of the job schemas (fast-check, seed FUZZ_SEED): the API request body (parseJobRequest, then the
// type's fill, as POST /v1/jobs and gRPC SubmitJob do) and job data read back from a queue (parseJobSpec).
// Arbitrary JSON and near-valid mutations of every job type's valid request: nothing throws but the
// domain's own error, and every rejection names a field of the input (or the one missing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JOB_TYPES, JobDataError, JobRequestError, fillAction, parseJobRequest, parseJobSpec, type AnyJobType, type FillContext } from '@ballast/domain';
import { FUZZ_SEED, edgeValue, fieldProblem, mutationsOf, type Json } from '@ballast/testkit';
import { toApiError, ApiError } from '../api-error.js';

const RUNS = { arbitrary: 1500, perType: 400, specPerType: 200 };
const defs = JOB_TYPES.map((t) => t as unknown as AnyJobType);

const cell = (id: number, cpus: number[]) => ({ id, cpus, memoryKiB: 4 << 20, freeKiB: 2 << 20 });
const ctx: FillContext = {
  hostId: 'h1',
  host: (id) => (id === 'h1' || id === 'h2' ? { hostId: id, pcpuCount: 4, numaCells: [cell(0, [0, 1]), cell(1, [2, 3])], migrationUri: `qemu+tcp://${id}/system` } : undefined),
};

/** A valid request of a type: its example's requestable fields, and a target. */
function validRequest(def: AnyJobType): Json {
  const requestable = new Set(Object.keys(def.request.shape));
  const fields = Object.fromEntries(Object.entries(def.example).filter(([k]) => requestable.has(k)));
  return { type: def.type, ...(def.scope === 'vm' ? { vm: 'web' } : { host: 'h1' }), ...fields } as Json;
}

function assertNamesField(input: unknown, e: { field: string; message: string }): void {
  assert.ok(e.message.startsWith(`${e.field}: `), `message "${e.message}" starts with its field`);
  if (e.field !== 'body') assert.equal(fieldProblem(input, e.field), undefined, `field "${e.field}" of ${JSON.stringify(input)?.slice(0, 300)}`);
}

/** What POST /v1/jobs does with a body before it touches a queue: parse, then fill. */
function checkRequest(body: unknown): void {
  let req;
  try {
    req = parseJobRequest(body);
  } catch (e) {
    assert.ok(e instanceof JobRequestError, `parseJobRequest threw ${String(e)}`);
    assert.equal(e.kind, 'invalid');
    assertNamesField(body, e);
    const api = toApiError(e);
    assert.ok(api instanceof ApiError && api.status === 400 && api.field === e.field);
    return;
  }
  try {
    fillAction(req.type, req.fields, ctx);
  } catch (e) {
    assert.ok(e instanceof JobRequestError, `fill of ${req.type} threw ${String(e)}`);
    assertNamesField(body, e);
  }
}

test('the valid requests the fuzz starts from are valid', () => {
  for (const d of defs) {
    const r = parseJobRequest(validRequest(d));
    assert.equal(r.type, d.type);
    assert.equal(fillAction(r.type, r.fields, ctx).type, d.type);
  }
});

test(`job requests: arbitrary JSON (${RUNS.arbitrary} runs, seed ${FUZZ_SEED})`, () => {
  const body = fc.oneof(fc.jsonValue(), fc.dictionary(fc.constantFrom('type', 'vm', 'host', 'memoryMiB', 'pcpus', 'vcpu', 'x'), edgeValue()));
  fc.assert(fc.property(body, checkRequest), { seed: FUZZ_SEED, numRuns: RUNS.arbitrary });
});

for (const d of defs) {
  test(`job requests: mutations of a valid ${d.type} request (${RUNS.perType} runs, seed ${FUZZ_SEED})`, () => {
    fc.assert(fc.property(mutationsOf(validRequest(d)), checkRequest), { seed: FUZZ_SEED, numRuns: RUNS.perType });
  });
}

test(`job data from a queue: mutations of each type's job (${RUNS.specPerType} runs a type, seed ${FUZZ_SEED})`, () => {
  for (const d of defs) {
    const spec = { schemaVersion: 1, id: 'j1', hostId: 'h1', vmUuid: 'u1', vmName: 'web', source: 'manual', createdAtMs: 1, action: d.example } as Json;
    assert.equal(parseJobSpec(spec).action.type, d.type);
    fc.assert(
      fc.property(mutationsOf(spec), (data) => {
        try {
          parseJobSpec(data);
        } catch (e) {
          assert.ok(e instanceof JobDataError, `parseJobSpec threw ${String(e)}`);
          const m = /^invalid job data: ([^:\s]+): /.exec(e.message);
          if (m?.[1] !== undefined) assert.equal(fieldProblem(data, m[1]), undefined, e.message);
          else assert.match(e.message, /^(invalid job data: expected an object|job schema version \S+ is newer)/);
        }
      }),
      { seed: FUZZ_SEED, numRuns: RUNS.specPerType },
    );
  }
});
