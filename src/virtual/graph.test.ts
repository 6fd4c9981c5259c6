import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { DependencyGraph } from './graph.ts';

function cycleOf(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isFronteiraError(e, 'FRONTEIRA_E_FORMULA'), String(e));
    assert.equal(e.status, 400);
    return e.message;
  }
  assert.fail('no cycle reported');
}

/** Each node after the defined nodes it depends on. */
function assertTopological(g: DependencyGraph, order: string[]): void {
  const at = new Map(order.map((k, i) => [k, i]));
  for (const k of order) {
    for (const d of g.dependenciesOf(k)) if (g.has(d)) assert.ok(at.get(d)! < at.get(k)!, `${d} before ${k}`);
  }
}

test('self-reference is a cycle', () => {
  const g = new DependencyGraph();
  assert.equal(
    cycleOf(() => g.addDefinition('a', ['point:1', 'a'])),
    'virtual meter cycle: a → a',
  );
  assert.equal(g.has('a'), false);
});

test('a cycle through other meters names the whole path, and the graph is left unchanged', () => {
  const g = new DependencyGraph();
  g.addDefinition('a', ['b', 'point:1']);
  g.addDefinition('b', ['c']);
  g.addDefinition('c', ['point:2']);
  assert.equal(
    cycleOf(() => g.addDefinition('c', ['point:2', 'a'])),
    'virtual meter cycle: c → a → b → c',
  );
  assert.deepEqual(g.dependenciesOf('c'), ['point:2']);
  assert.equal(
    cycleOf(() => g.addDefinition('b', ['a'])),
    'virtual meter cycle: b → a → b',
  );
  assert.deepEqual(g.dependenciesOf('b'), ['c']);
  // Defining a new meter that closes the loop through an undefined one is fine until that one is defined.
  g.addDefinition('x', ['y']);
  assert.match(
    cycleOf(() => g.addDefinition('y', ['x'])),
    /y → x → y/,
  );
});

test('cycle errors carry the path in details and use the label function', () => {
  const g = new DependencyGraph((k) => k.replace(/^virtual:/, 'vm:'));
  g.addDefinition('virtual:1', ['virtual:2']);
  try {
    g.addDefinition('virtual:2', ['virtual:1']);
    assert.fail('no cycle');
  } catch (e) {
    assert.ok(isFronteiraError(e));
    assert.equal(e.message, 'virtual meter cycle: vm:2 → vm:1 → vm:2');
    assert.deepEqual(e.details.cycle, ['virtual:2', 'virtual:1', 'virtual:2']);
  }
});

test('redefinition replaces dependencies, which can make a former cycle legal', () => {
  const g = new DependencyGraph();
  g.addDefinition('a', ['b']);
  g.addDefinition('b', ['point:1']);
  cycleOf(() => g.addDefinition('b', ['a']));
  g.addDefinition('a', ['point:2']);
  g.addDefinition('b', ['a']);
  assert.deepEqual(g.topologicalOrder(), ['a', 'b']);
  assert.deepEqual(g.dependents('point:1'), []);
  assert.deepEqual(g.dependents('point:2'), ['a', 'b']);
});

test('topological order: dependencies first, otherwise definition order', () => {
  const g = new DependencyGraph();
  g.addDefinition('total', ['north', 'south', 'point:9']);
  g.addDefinition('north', ['n1', 'n2']);
  g.addDefinition('south', ['point:3']);
  g.addDefinition('n1', ['point:1']);
  g.addDefinition('n2', ['point:2', 'n1']);
  g.addDefinition('lonely', ['point:4']);
  const order = g.topologicalOrder();
  assert.deepEqual(order, ['n1', 'n2', 'north', 'south', 'total', 'lonely']);
  assertTopological(g, order);
  assert.equal(g.size, 6);
  assert.deepEqual(g.keys(), ['total', 'north', 'south', 'n1', 'n2', 'lonely']);
});

test('dependents: everything to recompute when a series changes, in order, each once', () => {
  const g = new DependencyGraph();
  g.addDefinition('total', ['north', 'south']);
  g.addDefinition('north', ['n1', 'n2']);
  g.addDefinition('south', ['point:3']);
  g.addDefinition('n1', ['point:1']);
  g.addDefinition('n2', ['point:1', 'n1']);
  assert.deepEqual(g.dependents('point:1'), ['n1', 'n2', 'north', 'total']);
  assert.deepEqual(g.dependents('n2'), ['north', 'total']);
  assert.deepEqual(g.dependents('point:3'), ['south', 'total']);
  assert.deepEqual(g.dependents('total'), []);
  assert.deepEqual(g.dependents('point:404'), []);
  assert.deepEqual(g.recomputeOrder(['point:3', 'n2']), ['north', 'south', 'total']);
  // A changed meter that depends on another changed key is itself recomputed after it.
  assert.deepEqual(g.recomputeOrder(['n1', 'n2']), ['n2', 'north', 'total']);
});

test('removing a definition turns it into an input for its dependents', () => {
  const g = new DependencyGraph();
  g.addDefinition('a', ['point:1']);
  g.addDefinition('b', ['a']);
  assert.equal(g.removeDefinition('a'), true);
  assert.equal(g.removeDefinition('a'), false);
  assert.deepEqual(g.dependents('point:1'), []);
  assert.deepEqual(g.dependents('a'), ['b']);
  assert.deepEqual(g.topologicalOrder(), ['b']);
  // b → a is no longer there to close a cycle through a's old dependencies.
  g.addDefinition('point:1', ['b']);
  assert.deepEqual(g.topologicalOrder(), ['b', 'point:1']);
});

test('long chains do not exhaust the call stack', () => {
  const g = new DependencyGraph();
  const n = 20_000;
  for (let i = 1; i < n; i++) g.addDefinition(`v${i}`, [`v${i - 1}`]);
  const order = g.topologicalOrder();
  assert.equal(order.length, n - 1);
  assert.equal(order[0], 'v1');
  assert.equal(order[n - 2], `v${n - 1}`);
  assert.equal(g.dependents('v0').length, n - 1);
  assert.match(
    cycleOf(() => g.addDefinition('v0', [`v${n - 1}`])),
    /^virtual meter cycle: v0 → v19999 → v19998 → /,
  );
});
