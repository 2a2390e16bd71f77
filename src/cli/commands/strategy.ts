/**
 * `loom strategy list`: the built-in search strategies, their descriptions and options.
 * @module
 */
import { describeStrategies } from '../../strategy/registry.js';
import type { OptionSpec } from '../../strategy/strategy.js';

const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

/** An option's allowed values, for the text listing. */
function domain(o: OptionSpec): string {
  if (o.choices?.length) return o.choices.join('|');
  if (o.min !== undefined || o.max !== undefined) return `${o.type} ${o.min ?? ''}..${o.max ?? ''}`;
  return o.type;
}

/** `loom strategy list [--json]`. */
export function strategyList(o: { json?: boolean }): void {
  const list = describeStrategies();
  if (o.json) {
    out(JSON.stringify(list));
    return;
  }
  if (!list.length) {
    out('(no strategies registered)');
    return;
  }
  list.forEach((s, i) => {
    if (i) out('');
    out(`${s.name}${s.multiFidelity ? ' (multi-fidelity)' : ''}: ${s.description}`);
    if (!s.options.length) {
      out('  (no options)');
      return;
    }
    const w = Math.max(...s.options.map((x) => x.name.length));
    const rows = s.options.map((x) => ({ x, dom: domain(x), def: JSON.stringify(x.default) }));
    const wd = Math.max(...rows.map((r) => r.dom.length));
    const wv = Math.max(...rows.map((r) => r.def.length));
    for (const { x, dom, def } of rows) out(`  ${x.name.padEnd(w)}  ${dom.padEnd(wd)}  default ${def.padEnd(wv)}  ${x.description}`);
  });
}
