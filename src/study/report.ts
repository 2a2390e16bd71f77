/**
 * The report at the end of a search: `DIR/report.md` with the best architecture, the final
 * figures, a table of trials, and three pictures next to it: the best validation accuracy so far
 * over time (`progress.svg`), validation accuracy against parameters for every trial
 * (`trials.svg`), both drawn by Vega-Lite, and the best architecture's drawing (`arch.svg`).
 * @module
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { View, parse } from 'vega';
import { type TopLevelSpec, compile } from 'vega-lite';
import type { ModelData } from '../data/datasets.js';
import type { ArchitectureJSON } from '../space/architecture.js';
import { drawArchitecture, drawingToSvg } from '../space/draw/index.js';
import { compactText, decisionPairs, trialLabel } from '../space/label.js';
import type { SearchResult } from './search.js';
import type { Study } from './study.js';

async function svgOf(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function write(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

const pct = (x: number | null | undefined): string => (x === null || x === undefined || Number.isNaN(x) ? '-' : `${(100 * x).toFixed(2)}%`);

/** Seconds as "42 s", "4 min 38 s" or "1 h 30 min". */
function spoken(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** Writes report.md and its pictures into `out`. */
export async function writeReport(out: string, study: Study, result: SearchResult): Promise<void> {
  const trials = study.store.trials(study.name);
  const t0 = Math.min(...trials.map((t) => t.createdAt));
  const done = trials.filter((t) => t.finishedAt !== null && (t.state === 'COMPLETE' || t.state === 'PRUNED')).sort((a, b) => (a.finishedAt as number) - (b.finishedAt as number));
  let best = Number.NEGATIVE_INFINITY;
  const progress = done.map((t) => {
    if (t.state === 'COMPLETE' && t.value !== null && t.value > best) best = t.value;
    return { minutes: ((t.finishedAt as number) - t0) / 60000, best: Number.isFinite(best) ? 100 * best : null };
  });
  const points = done.filter((t) => Number.isFinite(t.metrics.params) && t.value !== null && Number.isFinite(t.value)).map((t) => ({ params: t.metrics.params, acc: 100 * (t.value as number), state: t.state, trial: t.number }));
  const width = 560;
  const height = 320;
  if (progress.length) {
    write(
      join(out, 'progress.svg'),
      await svgOf({
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        title: 'Best validation accuracy so far',
        width,
        height,
        data: { values: progress.filter((p) => p.best !== null) },
        mark: { type: 'line', point: true, interpolate: 'step-after' },
        encoding: {
          x: { field: 'minutes', type: 'quantitative', title: 'minutes since the first trial' },
          y: { field: 'best', type: 'quantitative', title: 'validation accuracy (%)', scale: { zero: false } },
        },
      }),
    );
  }
  if (points.length) {
    write(
      join(out, 'trials.svg'),
      await svgOf({
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        title: 'Trials: validation accuracy vs. parameters',
        width,
        height,
        data: { values: points },
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          x: { field: 'params', type: 'quantitative', title: 'parameters', scale: { type: 'log' } },
          y: { field: 'acc', type: 'quantitative', title: 'validation accuracy (%)', scale: { zero: false } },
          color: { field: 'state', type: 'nominal', title: 'state' },
          tooltip: [{ field: 'trial' }, { field: 'acc' }, { field: 'params' }],
        },
      }),
    );
  }
  let drawn = false;
  if (result.best) {
    try {
      // Drawn with the final model's inputs and classes where it was trained (data.json), else the space's defaults.
      const data = existsSync(join(out, 'data.json')) ? (JSON.parse(readFileSync(join(out, 'data.json'), 'utf8')) as Partial<ModelData>) : {};
      const input = data.inputShape?.length === 3 || data.inputShape?.length === 1 ? (data.inputShape as [number] | [number, number, number]) : undefined;
      const classes = data.classes?.length;
      write(join(out, 'arch.svg'), await drawingToSvg(drawArchitecture(study.space, study.space.fromJSON(result.best.arch), { input, classes })));
      drawn = true;
    } catch {
      // Some spaces cannot be drawn; the report says so below.
    }
  }
  const b = result.best;
  const bestArch = b ? (b.arch as unknown as ArchitectureJSON) : null;
  // A trial's architecture in the table: the space's compact text form, or how it differs from the best.
  const archCell = (a: ArchitectureJSON): string => {
    const { kind, text } = trialLabel(study.space, a, bestArch);
    if (kind === 'compact') return `\`${text.replace(/\|/g, '\\|')}\``;
    if (kind === 'diff') return `the best with ${text}`;
    return bestArch ? '**the best**' : text;
  };
  const lines = [
    `# Loom search report: ${result.study}`,
    '',
    `Space \`${study.space.name}\`; storage \`${result.storage}\`; ${result.trials.total} trials (${result.trials.complete} complete, ${result.trials.pruned} pruned, ${result.trials.failed} failed, ${result.trials.retried} retried); search ${spoken(result.searchSeconds)}, final training ${spoken(result.finalSeconds)}.`,
    '',
    '## Best architecture',
    '',
    b
      ? [
          `Trial ${b.trial}: validation accuracy ${pct(b.val_acc)} (search fidelity), **test accuracy ${pct(b.test_acc)}** after the final training; ${b.params.toLocaleString('en-US')} parameters, ${b.flops.toLocaleString('en-US')} multiply-adds per input.`,
          '',
          '```',
          b.text,
          '```',
          '',
          ...(bestArch && compactText(study.space, bestArch) === null ? [`Its decisions: ${decisionPairs(bestArch.values).split(' ').map((p) => `\`${p}\``).join(', ')}.`, ''] : []),
          b.weights ? 'Weights: `model.safetensors`; architecture: `arch.json` and `arch.txt`; recipe: `recipe.json`; the inputs it expects (shape, classes, features, normalisation): `data.json`; a user-defined space: `space.json`. Use it with `loom predict FOLDER INPUTS` or `loadModel(FOLDER)`.' : 'No final weights (no final training, or it failed).',
          '',
          drawn ? '![the best architecture](arch.svg)' : '',
          ...(result.compare
            ? [
                '',
                `Compared with \`${result.compare.text}\` trained exactly like it (same recipe, ${result.compare.epochs} epoch${result.compare.epochs === 1 ? '' : 's'} in ${result.compare.seconds.toFixed(0)} s, same seed): **test accuracy ${pct(result.compare.test_acc)}**, ${result.compare.params.toLocaleString('en-US')} parameters (weights in \`compare/\`).`,
              ]
            : []),
        ].join('\n')
      : 'No trial completed.',
    '',
    '## Search',
    '',
    progress.length ? '![best so far](progress.svg)' : '',
    '',
    points.length ? '![trials](trials.svg)' : '',
    '',
    '| trial | state | val acc | params | epochs | seconds | architecture | note |',
    '| ---: | --- | ---: | ---: | ---: | ---: | --- | --- |',
    ...trials.map(
      (t) =>
        `| ${t.number} | ${t.state} | ${pct(t.value)} | ${Number.isFinite(t.metrics.params) ? t.metrics.params.toLocaleString('en-US') : '-'} | ${t.metrics.epochs ?? '-'} | ${Number.isFinite(t.metrics.seconds) ? t.metrics.seconds.toFixed(1) : '-'} | ${archCell(t.arch as unknown as ArchitectureJSON)} | ${(t.error ?? (t.attrs.retryOf !== undefined ? `retry of ${t.attrs.retryOf}` : '')).replace(/\|/g, '/')} |`,
    ),
    '',
  ];
  write(join(out, 'report.md'), lines.join('\n'));
}
