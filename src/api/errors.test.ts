import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validationError } from './errors.ts';

test('validation errors name the field with its request part and a readable reason', () => {
  const missing = validationError({
    validationContext: 'body',
    validation: [
      { keyword: 'required', instancePath: '', schemaPath: '#/required', params: { missingProperty: 'username' } },
    ],
  });
  assert.equal(missing.code, 'FRONTEIRA_E_VALIDATION');
  assert.equal(missing.message, 'body.username: is required');
  assert.equal(missing.details.field, 'body.username');

  const nested = validationError({
    validationContext: 'querystring',
    validation: [
      { keyword: 'maximum', instancePath: '/items/3/limit', schemaPath: '#', params: {}, message: 'must be <= 1000' },
      { keyword: 'type', instancePath: '/offset', schemaPath: '#', params: {}, message: 'must be integer' },
    ],
  });
  assert.equal(nested.message, 'query.items.3.limit: must be <= 1000');
  assert.deepEqual(nested.details.problems, [
    { field: 'query.items.3.limit', reason: 'must be <= 1000' },
    { field: 'query.offset', reason: 'must be integer' },
  ]);
});
