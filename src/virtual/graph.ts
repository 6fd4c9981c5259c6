/**
 * Dependencies between virtual meters, for refusing cycles when a formula is defined and for knowing what to
 * recompute, in which order, when a series changes. Nodes are string keys chosen by the caller, unique across
 * kinds (formula/check.ts `seriesKey`: 'point:17', 'virtual:net-se'); a key that is depended on but never defined
 * is an input (a point channel, or a virtual meter not loaded). Orders are deterministic.
 */
import { FronteiraError } from '../domain/errors.ts';

export class DependencyGraph {
  /** Defined node → its direct dependencies (deduplicated, in the order given). */
  private readonly deps = new Map<string, readonly string[]>();
  /** Any key → the defined nodes that depend on it directly. */
  private readonly users = new Map<string, Set<string>>();
  private order: string[] | null = null;

  /** `label` names keys in error messages (e.g. 'virtual:7' → 'vm("net")'). */
  constructor(private readonly label: (key: string) => string = (k) => k) {}

  has(key: string): boolean {
    return this.deps.has(key);
  }

  get size(): number {
    return this.deps.size;
  }

  /** Defined nodes in definition order. */
  keys(): string[] {
    return [...this.deps.keys()];
  }

  dependenciesOf(key: string): readonly string[] {
    return this.deps.get(key) ?? [];
  }

  /**
   * Defines `key` (or redefines it: the new dependencies replace the old). Refuses, leaving the graph unchanged,
   * a definition that would close a cycle: FRONTEIRA_E_FORMULA naming the path, e.g. "a → b → a".
   */
  addDefinition(key: string, dependsOn: Iterable<string>): void {
    const list = [...new Set(dependsOn)];
    for (const d of list) {
      // Only a key something already depends on can close a loop through others.
      const path = d === key ? [key] : this.users.has(key) ? this.path(d, key) : null;
      if (path) {
        const cycle = [key, ...path];
        throw new FronteiraError('FRONTEIRA_E_FORMULA', `virtual meter cycle: ${cycle.map(this.label).join(' → ')}`, {
          cycle,
        });
      }
    }
    this.unlink(key);
    this.deps.set(key, list);
    for (const d of list) {
      let u = this.users.get(d);
      if (!u) {
        u = new Set();
        this.users.set(d, u);
      }
      u.add(key);
    }
    this.order = null;
  }

  /** Removes a definition; nodes that depended on it now see it as an input. */
  removeDefinition(key: string): boolean {
    if (!this.deps.has(key)) return false;
    this.unlink(key);
    this.deps.delete(key);
    this.order = null;
    return true;
  }

  private unlink(key: string): void {
    for (const d of this.deps.get(key) ?? []) {
      const u = this.users.get(d);
      u?.delete(key);
      if (u?.size === 0) this.users.delete(d);
    }
  }

  /** A dependency path from → … → to (both included), or null. Iterative: long chains must not blow the stack. */
  private path(from: string, to: string): string[] | null {
    const parent = new Map<string, string | null>([[from, null]]);
    const stack = [from];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n === to) {
        const out: string[] = [];
        for (let at: string | null = n; at !== null; at = parent.get(at) ?? null) out.push(at);
        return out.reverse();
      }
      for (const d of this.deps.get(n) ?? []) {
        if (!parent.has(d)) {
          parent.set(d, n);
          stack.push(d);
        }
      }
    }
    return null;
  }

  /**
   * Every defined node, each after all the defined nodes it depends on. Depth-first from the nodes in definition
   * order, dependencies in the order given: deterministic, and close to definition order where dependencies allow.
   */
  topologicalOrder(): string[] {
    if (this.order) return [...this.order];
    const out: string[] = [];
    const done = new Set<string>();
    for (const root of this.deps.keys()) {
      if (done.has(root)) continue;
      // Explicit stack of (node, next dependency index): chains of thousands must not blow the call stack.
      const stack: [string, number][] = [[root, 0]];
      done.add(root);
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        const ds = this.deps.get(top[0])!;
        if (top[1] < ds.length) {
          const d = ds[top[1]++];
          if (this.deps.has(d) && !done.has(d)) {
            done.add(d);
            stack.push([d, 0]);
          }
        } else {
          stack.pop();
          out.push(top[0]);
        }
      }
    }
    this.order = out;
    return [...out];
  }

  /** What to recompute when `key` changes: every defined node depending on it, directly or not, in topological order. */
  dependents(key: string): string[] {
    return this.recomputeOrder([key]);
  }

  /**
   * What to recompute when any of `changed` change: each defined node depending on one of them, once, in topological
   * order. A changed key is in the list only when it depends on another changed key.
   */
  recomputeOrder(changed: Iterable<string>): string[] {
    const hit = new Set<string>();
    const stack = [...changed];
    while (stack.length > 0) {
      const k = stack.pop()!;
      for (const u of this.users.get(k) ?? []) {
        if (!hit.has(u)) {
          hit.add(u);
          stack.push(u);
        }
      }
    }
    return this.topologicalOrder().filter((k) => hit.has(k));
  }
}
