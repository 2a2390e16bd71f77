#!/usr/bin/env node
/**
 * `loom`, the command line. Data goes to stdout, logs and progress to stderr; `--json` prints one
 * JSON document a script can read. Bad input is one line on stderr and exit code 2; other
 * failures exit 1 (set LOOM_DEBUG=1 for stack traces).
 * @module
 */
import { Command, CommanderError, Option } from 'commander';
import { exitCodeOf } from './errors.js';
import { durationArg, intArg, positiveNumberArg, shapeArg, unitIntervalArg } from './options.js';
import { packageInfo } from './package-info.js';
import { ONESHOT_METHODS } from './commands/oneshot.js';

/** Builds the program. Commands load the engine lazily, so `--help` works without the addon. */
const PRECISION_HELP =
  "precision of the training's forward pass: float32, bfloat16 (mixed precision: convolutions and matrix products in bfloat16, weights and steps in float32; about 1.5x faster on a CPU with bfloat16 instructions, slower without), or auto (bfloat16 where the CPU has bfloat16 instructions, else float32)";

function buildProgram(): Command {
  const program = new Command('loom');
  program
    .description('Loom: neural architecture search in TypeScript, on libtorch')
    .version(packageInfo().version, '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      outputError: (str, write) => write(`loom: ${str.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')} (see loom --help)\n`),
    });

  program
    .command('info')
    .description('show versions, libtorch, threads, CUDA devices and the addon path')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const { info } = await import('./commands/info.js');
      info(opts);
    });

  program
    .command('demo')
    .description('a real architecture search on Fashion-MNIST in about 15 minutes on two cores: local search from the baseline CNN in 1-epoch trials, then the best retrained and tested (--baseline: the baseline CNN trained alike, beside it)')
    .option('--budget <duration>', 'search time', durationArg, 270)
    .option('--final-budget <duration>', 'time of the final retraining (its learning-rate schedule runs over it)', durationArg, 540)
    .option('-w, --workers <n>', 'trials trained at once, each in its own process (default: one per core, at most 8)', intArg(1, 256))
    .option('-s, --seed <n>', 'random seed', intArg(0), 0)
    .option('-o, --out <dir>', 'output folder (run the same command again to resume)', 'loom-demo')
    .option('-d, --dataset <name|path>', 'data set', 'fashion-mnist')
    .option('--baseline', 'then train the baseline CNN (loom baseline) with the same final recipe for the same time, and test it beside the searched model')
    .addOption(new Option('--precision <p>', PRECISION_HELP).choices(['float32', 'bfloat16', 'auto']).default('auto'))
    .option('-q, --quiet', 'no progress bar or log lines on stderr')
    .option('--json', 'print result.json on stdout')
    .action(async (opts) => {
      const { demo } = await import('./commands/demo.js');
      await demo(opts);
    });

  program
    .command('baseline')
    .description('train the fixed baseline CNN on Fashion-MNIST and report its test accuracy (the reference a search must beat)')
    .option('-e, --epochs <n>', 'training epochs', intArg(1), 3)
    .option('-b, --batch-size <n>', 'mini-batch size', intArg(1), 128)
    .option('-t, --threads <n>', 'intra-op threads (default: all cores)', intArg(1, 4096))
    .option('-s, --seed <n>', 'random seed', intArg(0), 0)
    .option('--lr <rate>', 'peak learning rate (default 0.1)', positiveNumberArg)
    .option('--augment', 'random shifts and horizontal flips while training')
    .addOption(new Option('--precision <p>', PRECISION_HELP).choices(['float32', 'bfloat16', 'auto']).default('float32'))
    .option('--limit <n>', 'use only the first N training and N test images (quick checks)', intArg(1))
    .option('--val-size <n>', 'training images held out for validation (at most a tenth)', intArg(1), 5000)
    .option('--data <dir>', 'folder with the Fashion-MNIST IDX files (default: $LOOM_FASHION_MNIST or /usr/share/datasets/fashion-mnist)')
    .addOption(new Option('--device <device>', 'auto, cpu, cuda or cuda:N').default('auto'))
    .option('-q, --quiet', 'no progress bar or log lines on stderr')
    .option('--json', 'print the result as one JSON object on stdout')
    .action(async (opts) => {
      const { baseline } = await import('./commands/baseline.js');
      await baseline(opts);
    });

  const space = program.command('space').description('search spaces: list them, describe one, sample architectures');
  space
    .command('list')
    .description('list the built-in search spaces with their sizes')
    .option('--json', 'print one JSON array')
    .action(async (opts: { json?: boolean }) => {
      const { spaceList } = await import('./commands/space.js');
      spaceList(opts);
    });
  space
    .command('info <space>')
    .description("a space's decisions, size, unique (non-isomorphic) count and encodings")
    .option('--json', 'print one JSON object')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { spaceInfo } = await import('./commands/space.js');
      spaceInfo(name, opts);
    });
  space
    .command('sample <space>')
    .description('uniformly random architectures, one per line in the space\'s text form')
    .option('-n, --n <k>', 'how many', intArg(1, 1_000_000), 1)
    .option('-s, --seed <n>', 'random seed', intArg(0), 0)
    .option('--json', 'print one JSON array (text form, hash, canonical form, values)')
    .action(async (name: string, opts: { n: number; seed: number; json?: boolean }) => {
      const { spaceSample } = await import('./commands/space.js');
      spaceSample(name, opts);
    });

  const arch = program.command('arch').description('architectures: measure and draw them');
  arch
    .command('stats <space> <arch>')
    .description("parameters and FLOPs (multiply-adds) of an architecture's network; <arch> is the space's text form or a JSON file")
    .option('--input <CxHxW|F>', 'input shape: an image CxHxW or F features (default: the space\'s, e.g. 3x32x32)', shapeArg)
    .option('--classes <k>', 'number of classes (default 10)', intArg(1))
    .option('--channels <c>', 'channels of the first stage (nb201 default 16)', intArg(1))
    .option('--cells <n>', 'cells per stage (nb201 default 5)', intArg(1))
    .option('--auxiliary', "add the auxiliary head (darts, nasnet): params count it, mainParams do not")
    .option('--json', 'print one JSON object')
    .action(async (name: string, text: string, opts) => {
      const { archStats } = await import('./commands/space.js');
      archStats(name, text, opts);
    });
  arch
    .command('draw <space> <arch>')
    .description('draw an architecture: its cell as a DAG, or (--network) its network as a stack; SVG or Graphviz DOT by the extension of -o')
    .requiredOption('-o, --output <file>', 'output file: .svg or .dot')
    .option('--network', 'draw the whole network (ops top to bottom, each cell or stage one box) instead of the cell')
    .option('--expand', 'with --network: draw every op inside the cells and stages')
    .option('--cell <type>', 'draw one cell type of a two-cell space (darts, nasnet: normal or reduce; default both)')
    .option('--input <CxHxW|F>', 'network input shape: an image CxHxW or F features (default: the space\'s, e.g. 3x32x32)', shapeArg)
    .option('--classes <k>', 'network classes (default 10)', intArg(1))
    .option('--channels <c>', 'channels of the first stage', intArg(1))
    .option('--cells <n>', 'cells per stage', intArg(1))
    .option('--auxiliary', 'with --network: draw the auxiliary head too (darts, nasnet)')
    .action(async (name: string, text: string, opts) => {
      const { archDraw } = await import('./commands/draw.js');
      await archDraw(name, text, opts);
    });

  const bench = program.command('bench').description('compare search strategies on a tabular benchmark, over seeds');
  const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];
  const benchOptions = (c: Command): Command =>
    c
      .requiredOption('--space <name>', 'search space of the table (e.g. nb201)')
      .requiredOption('--table <file.csv>', "CSV with an 'arch' column and metric@fidelity columns")
      .requiredOption('--objective <column>', 'column the search optimises, e.g. c10_val_acc@12')
      .requiredOption('--report <column>', "column reported for the incumbent, e.g. c10_test_acc@12")
      .requiredOption('--queries <n>', 'query budget per seed (each evaluation is one query)', intArg(1, 10_000_000))
      .option('--seeds <k>', 'number of seeds (runs)', intArg(1, 100_000), 1)
      .option('-s, --seed <n>', 'first seed (runs use seed, seed+1, ...)', intArg(0), 0)
      .option('--batch <b>', 'asks per round, as for parallel workers', intArg(1, 100_000), 1)
      .option('--option <key=value>', 'strategy option, repeatable (strategy.key=value: for that strategy only)', collect)
      .option('--minimize', 'lower objective is better (e.g. a loss)')
      .option('--quiet', 'no progress on stderr')
      .option('--json', 'print one JSON object');
  benchOptions(bench.command('run').description('run one strategy over seeds: the incumbent\'s report value at the end and after each query'))
    .requiredOption('--strategy <name>', 'strategy (see loom strategy list)')
    .action(async (opts) => {
      const { benchRun } = await import('./commands/bench.js');
      benchRun(opts);
    });
  benchOptions(bench.command('compare').description('run several strategies on the same seeds: a table of mean ± std and an anytime plot'))
    .requiredOption('--strategies <a,b,c>', 'comma-separated strategies (see loom strategy list)')
    .option('--plot <out.svg>', 'write the anytime plot (report value vs. queries, ± std bands) as SVG')
    .addOption(new Option('--plot-x <axis>', "the plot's x axis: queries, or cost (mean cumulative, e.g. epochs)").choices(['queries', 'cost']).default('queries'))
    .action(async (opts) => {
      const { benchCompare } = await import('./commands/bench.js');
      await benchCompare(opts);
    });

  const strategy = program.command('strategy').description('search strategies: list them with their options');
  strategy
    .command('list')
    .description('the built-in strategies, their descriptions and options')
    .option('--json', 'print one JSON array')
    .action(async (opts: { json?: boolean }) => {
      const { strategyList } = await import('./commands/strategy.js');
      strategyList(opts);
    });

  program
    .command('search')
    .description('search architectures on a data set: trains every trial for real, survives crashes (run it again to resume), retrains the best and reports')
    .option('-d, --dataset <name|path>', 'fashion-mnist, mnist, cifar-10, cifar-100, or a folder of IDX / CIFAR files or a CSV file', 'fashion-mnist')
    .option('--label-column <name>', "a CSV file's label column (default: label)")
    .option('--space <name|file.json>', 'search space: a name (loom space list) or the file of a user-defined JSON space (default: fmnist-net, the packaged examples/spaces/fmnist-net.json; mlp for a CSV file)')
    .option('--strategy <name>', 'search strategy (loom strategy list)', 'evolution')
    .option('--option <key=value...>', 'strategy option (repeatable)')
    .option('--budget <duration>', 'search time, counted across resumed runs (e.g. 15m, 1h)', durationArg)
    .option('--trials <n>', 'number of trials (instead of, or with, --budget)', intArg(1))
    .option('-w, --workers <n>', 'trials trained at once, each in its own process', intArg(1, 256), 1)
    .option('-t, --threads <n>', 'intra-op threads per worker (default: cores / workers)', intArg(1, 4096))
    .option('--storage <url>', 'sqlite:PATH (default: sqlite:OUT/loom.db) or memory:')
    .option('--study <name>', 'study name (default: from space, strategy, data set and seed); the same name resumes')
    .option('-o, --out <dir>', 'output folder: result.json, report.md, model.safetensors', 'loom-out')
    .option('-s, --seed <n>', 'random seed', intArg(0), 0)
    .addOption(new Option('--trial-seeds <how>', "common: every trial trains with --seed (same initialisation where shapes agree, same batches and augmentation), so trials differ by architecture, not luck (the default for a new study); distinct: trial N with seed + N (a study made before this option resumes so)").choices(['common', 'distinct']))
    .option('-e, --epochs <n>', 'training epochs per trial (default 2; tabular data: 30; multi-fidelity strategies choose their own)', intArg(1))
    .option('--trial-budget <duration>', 'train each trial for this time instead of for --epochs epochs (e.g. 15s; its learning-rate schedule runs over the time), so trials are compared at equal cost; given with --epochs, the most time a trial of those epochs gets (its schedule ends with whichever ends first); with sh, hyperband or bohb, the time of maxFidelity (a rung at fidelity f trains for f/maxFidelity of it)', durationArg)
    .option('--final-epochs <n>', 'epochs of the final retraining of the best (0: none; default: trained for --final-budget instead, or 10 epochs without a budget (tabular data: 100))', intArg(0))
    .option('--final-label-smoothing <x>', 'label smoothing of the final retraining', unitIntervalArg, 0.1)
    .addOption(new Option('--final-augment <when>', 'augment the final retraining (shifts, flips): on, off, or auto (when it gets 20 epochs or more and the network has 100k parameters or more; they slow shorter trainings and smaller networks)').choices(['auto', 'on', 'off']).default('auto'))
    .option('--final-cutout <size>', 'cutout in the final retraining when it is augmented: a size x size square blanked in each training image (default 0: none; in Fashion-MNIST\'s 9-minute finals it cost 0.3-0.4 points)', intArg(0))
    .option('--final-budget <duration>', 'train the final model for this time (e.g. 8m; its learning-rate schedule runs over the time) (default with --budget: half of it)', durationArg)
    .option('--inherit', 'weight inheritance: a mutated child starts from its parent\'s trained weights where they fit (evolution)')
    .option('-b, --batch-size <n>', 'mini-batch size', intArg(1), 128)
    .option('--lr <rate>', 'peak learning rate (default: the optimizer\'s)', positiveNumberArg)
    .addOption(new Option('--precision <p>', PRECISION_HELP).choices(['float32', 'bfloat16', 'auto']).default('float32'))
    .option('--warmup <fraction>', 'linear learning-rate warm-up over this fraction of each training, trials and final (of its time when trained for a time; default 0.05)', unitIntervalArg)
    .option('--channels <c>', 'network width during the search (the space\'s channels option)', intArg(1))
    .option('--final-channels <c>', 'network width of the final model (default: --channels)', intArg(1))
    .option('--cells <n>', 'cells per stage, for cell spaces', intArg(1))
    .option('--data-fraction <f>', 'fraction of the training split each trial trains on', positiveNumberArg)
    .option('--train-limit <n>', 'use only the first N training images', intArg(1))
    .option('--val-size <n>', 'training examples held out for validation (default 5000; tabular data: a fifth of the rows)', intArg(1))
    .option('--augment', 'random shifts and flips while training trials (the final retraining: see --final-augment)')
    .option('--label-smoothing <x>', 'label smoothing of the trials\' loss (default 0; the final retraining: see --final-label-smoothing)', unitIntervalArg)
    .option('--cutout <size>', 'cutout in the trials: a size x size square blanked in each training image (default 0: none; the final retraining: see --final-cutout)', intArg(0))
    .option('--no-flip', 'augment without horizontal flips (for data a mirror changes, like digits or text; MNIST leaves them out by itself)')
    .addOption(new Option('--pruner <kind>', 'early stopping: median (stop trials that trail the median), curve (learning-curve extrapolation) or none').choices(['median', 'curve', 'none']).default('median'))
    .option('--no-pruning', 'the same as --pruner none')
    .option('--trial-timeout <duration>', 'fail a trial that runs longer than this', durationArg)
    .option('--compare <arch>', "then train this architecture of the space (text form or a JSON file, e.g. a hand-designed network) exactly like the final model and report both test accuracies (result.json's compare, OUT/compare/)")
    .option('-q, --quiet', 'no progress bar or log lines on stderr')
    .option('--json', 'print result.json on stdout')
    .action(async (opts) => {
      const { search } = await import('./commands/search.js');
      await search(opts);
    });

  program
    .command('oneshot')
    .description('one-shot search with weight sharing on a cell space\'s supernet (DARTS, GDAS, ...), then the derived architecture retrained and tested')
    .addOption(new Option('--method <name>', 'darts (first order), darts2 (second order), gdas, enas, spos, random-ws').choices([...ONESHOT_METHODS]).makeOptionMandatory())
    .option('--space <name>', 'cell space: nb201 or darts', 'nb201')
    .option('-d, --dataset <name|path>', 'data set (as for search)', 'fashion-mnist')
    .option('-e, --epochs <n>', 'search epochs', intArg(1), 10)
    .option('--budget <duration>', 'stop the search after this long (e.g. 30m)', durationArg)
    .option('--channels <c>', 'supernet width (reduced for a CPU: nb201 default 16, darts 16)', intArg(1))
    .option('--cells <n>', 'cells per stage (nb201) or cells (darts)', intArg(1))
    .option('-b, --batch-size <n>', 'largest mini-batch (lowered to what fits in memory)', intArg(1), 64)
    .option('--lr <rate>', 'weights\' learning rate (default 0.025)', positiveNumberArg)
    .addOption(new Option('--remedy <name>', 'against DARTS\'s collapse to parameter-free ops: pt (DARTS-PT, the architecture chosen by perturbation) or darts- (an auxiliary skip, decayed)').choices(['none', 'darts-', 'pt']))
    .option('--train-limit <n>', 'use only the first N training images', intArg(1))
    .option('-s, --seed <n>', 'random seed', intArg(0), 0)
    .option('-t, --threads <n>', 'intra-op threads (default: all cores)', intArg(1, 4096))
    .option('-o, --out <dir>', 'output folder: result.json, arch.txt, model.safetensors', 'loom-oneshot')
    .option('--no-retrain', 'skip retraining the derived architecture')
    .option('--retrain-epochs <n>', 'epochs of the stand-alone retraining', intArg(1), 10)
    .option('--final-channels <c>', 'width of the retrained network (default: --channels)', intArg(1))
    .option('--final-cells <n>', 'cells of the retrained network (default: --cells)', intArg(1))
    .option('-q, --quiet', 'no log lines on stderr')
    .option('--json', 'print result.json on stdout')
    .action(async (opts) => {
      const { oneshot } = await import('./commands/oneshot.js');
      await oneshot(opts);
    });

  const study = program.command('study').description('studies in a store: list them, show one');
  study
    .command('list')
    .description('the studies in a store with their trial counts and best values')
    .option('--storage <url>', 'sqlite:PATH', 'sqlite:loom-out/loom.db')
    .option('--json', 'print one JSON array')
    .action(async (opts) => {
      const { studyList } = await import('./commands/search.js');
      await studyList(opts);
    });
  study
    .command('show <name>')
    .description("a study's trials: state, value, parameters, seconds, learning-curve length, architecture")
    .option('--storage <url>', 'sqlite:PATH', 'sqlite:loom-out/loom.db')
    .option('--json', 'print one JSON object')
    .option('--csv', 'print one CSV row per trial: its metrics and one column per decision of its architecture')
    .action(async (name: string, opts) => {
      const { studyShow } = await import('./commands/search.js');
      await studyShow(name, opts);
    });

  program
    .command('train <space> <arch>')
    .description('train one architecture and evaluate it on the test set')
    .option('-d, --dataset <name|path>', 'data set (as for search)', 'fashion-mnist')
    .option('--label-column <name>', "a CSV file's label column (default: label)")
    .option('-e, --epochs <n>', 'training epochs (default 10; tabular data: 100; with --budget, the most epochs, default 500)', intArg(1))
    .option('--budget <duration>', 'train for this time (e.g. 9m) instead of a number of epochs: the learning-rate schedule runs over the time, as a search\'s final retraining does', durationArg)
    .option('-b, --batch-size <n>', 'mini-batch size', intArg(1), 128)
    .option('--lr <rate>', 'peak learning rate', positiveNumberArg)
    .addOption(new Option('--precision <p>', PRECISION_HELP).choices(['float32', 'bfloat16', 'auto']).default('float32'))
    .option('--warmup <fraction>', 'linear learning-rate warm-up over this fraction of the training (default 0.05)', unitIntervalArg)
    .option('--label-smoothing <x>', 'label smoothing of the loss (default 0; a search\'s final retraining uses 0.1)', unitIntervalArg)
    .option('--channels <c>', 'network width', intArg(1))
    .option('--cells <n>', 'cells per stage', intArg(1))
    .option('--augment', 'random shifts and flips')
    .option('--no-flip', 'augment without horizontal flips (MNIST leaves them out by itself)')
    .option('--cutout <size>', 'cutout: a size x size square blanked in each training image (default 0: none)', intArg(0))
    .option('--val-size <n>', 'training examples held out for validation (default 5000; tabular data: a fifth of the rows); 0: train on the whole split, as a search\'s final model does', intArg(0))
    .option('-s, --seed <n>', 'random seed', intArg(0), 0)
    .option('-t, --threads <n>', 'intra-op threads', intArg(1, 4096))
    .option('-o, --out <dir>', 'save model.safetensors, result.json and data.json (and space.json for a user-defined space) here, for loom predict')
    .option('-q, --quiet', 'no per-epoch lines')
    .option('--json', 'print one JSON object')
    .action(async (spaceName: string, archText: string, opts) => {
      const { train } = await import('./commands/search.js');
      await train(spaceName, archText, opts);
    });

  program
    .command('predict <model> <inputs...>')
    .description("classify new inputs with a saved model (a search's or loom train's --out folder, or its model.safetensors): PNG or JPEG images (files, a folder of them, or a folder of class folders that label them; fitted to the model's input size and channels), an IDX file of images in bytes, a data set's test split (fashion-mnist, a folder of IDX or CIFAR files), or a CSV file with the model's feature columns; with labels, also the accuracy")
    .option('--labels <file>', 'an IDX file of the images\' class indices: report the accuracy')
    .option('--label-column <name>', "a CSV file's label column, to report the accuracy (default: label, when there is one)")
    .option('--invert', 'images: invert them, for dark objects on a light ground when the model learnt light ones on black (as Fashion-MNIST and MNIST store them); transparent parts are the ground either way')
    .addOption(new Option('--fit <how>', "images of another shape than the model's: pad (scale to fit inside, margins in the border's colour, as Fashion-MNIST and MNIST centred their objects; the default), crop (scale to cover, cut out the middle) or stretch").choices(['pad', 'crop', 'stretch']))
    .option('--trim', 'images: first cut away the margins of a plain background (the corners\' colour, within 5%), as Fashion-MNIST trimmed its photos before scaling and centring them; for a picture of one object framed otherwise than the training images')
    .option('-k, --top <k>', "each input's K most likely classes, each with its probability (with labels, also how often the right class is among them)", intArg(1))
    .option('-n, --limit <n>', 'print only the first N predictions (the accuracy counts all)', intArg(0))
    .option('-b, --batch-size <n>', 'inputs per forward pass', intArg(1), 1000)
    .option('-t, --threads <n>', 'intra-op threads', intArg(1, 4096))
    .option('--json', 'print one JSON object')
    .action(async (model: string, inputs: string[], opts) => {
      const { predict } = await import('./commands/predict.js');
      await predict(model, inputs, opts);
    });

  return program;
}

/** Runs the CLI on `argv` (node-style: argv[0] node, argv[1] script) and returns the exit code. */
async function run(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.executeSubCommandAsync') return 0;
      // commander has already printed its one-line message (or, with no command, the help).
      return 2;
    }
    const code = exitCodeOf(e);
    const err = e as Error;
    const msg = err?.message ?? String(e);
    if (process.env.LOOM_DEBUG && err?.stack) process.stderr.write(`${err.stack}\n`);
    process.stderr.write(code === 2 ? `loom: ${msg}\n` : `loom: error: ${msg}\n`);
    return code;
  }
}

// Output piped into a reader that stops early (`loom space sample nb201 --n 1000 | head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

run().then((code) => {
  // A command that finished may have set its own code (a search with no completed trial: 1).
  process.exitCode = code !== 0 ? code : (process.exitCode ?? 0);
});
