/**
 * Search spaces: decisions, architectures (pure data), the `SearchSpace` interface and the
 * built-in spaces. Building networks needs the engine and lives in `space/networks/`, so this
 * part loads without the native addon.
 * @module
 */
export * from './architecture.js';
export * from './decisions.js';
export * from './draw/index.js';
export * from './graph/graph.js';
export * from './graph/measure.js';
export * from './graph/ops.js';
export * from './label.js';
export * from './registry.js';
export * from './space.js';
export {
  CHAIN_FILTERS,
  CHAIN_KERNELS,
  CHAIN_STRIDES,
  CHAIN_TYPES,
  type ChainConfig,
  type ChainLayer,
  ChainSpace,
  type ChainType,
  chain,
  chainConfig,
  chainLayerGraph,
  formatLayer,
  layerChannels,
  parseLayer,
  scaledFilters,
} from './spaces/chain.js';
export {
  DARTS_CELLS,
  DARTS_CONCAT,
  DARTS_GENOTYPE_OPS,
  DARTS_OPS,
  type DartsConfig,
  type DartsGenotype,
  type DartsNetworkOptions,
  type DartsOp,
  DartsSpace,
  type CellOpBuilder,
  addCell,
  cellNetworkConfig,
  cellNetworkGraph,
  cellOpBuilder,
  darts,
  dartsConfig,
  formatGenotype,
  parseGenotype,
} from './spaces/darts.js';
export { GENOTYPE_CELLS, type Genotype, type GenotypeCell, type GenotypeEdge, readGenotype, writeGenotype } from './spaces/genotype.js';
export {
  NASNET_BLOCKS,
  NASNET_NODES,
  NASNET_OPS,
  type NasnetGenotype,
  type NasnetOp,
  NasnetSpace,
  nasnet,
  nasnetConcat,
  nasnetConfig,
  parseNasnetGenotype,
} from './spaces/nasnet.js';
export {
  MOBILENET_DEPTHS,
  MOBILENET_EXPANSIONS,
  MOBILENET_KERNELS,
  MOBILENET_SE_RATIO,
  MOBILENET_STAGES,
  MOBILENET_V2,
  type MobileNetConfig,
  type MobileNetStage,
  type MobileNetStageTemplate,
  MobileNetSpace,
  formatStage,
  makeDivisible,
  mobilenet,
  mobilenetConfig,
  mobilenetStrides,
  mobilenetWidths,
  parseStage,
} from './spaces/mobilenet.js';
export { type BranchLayer, type BranchShapes, MULTIBRANCH_MERGES, MultiBranchSpace, type MultiBranchMerge, multibranch } from './spaces/multibranch.js';
export { MLP_ACTIVATIONS, MLP_DROPOUTS, MLP_MAX_DEPTH, MLP_NORMS, MLP_WIDTHS, type MlpActivation, type MlpConfig, type MlpNorm, MlpSpace, type MlpSpec, formatMlp, mlp, mlpConfig, mlpWidth } from './spaces/mlp.js';
export { NB201_EDGES, NB201_OPS, type Nb201Config, type Nb201Op, Nb201Space, edgeName, nb201, nb201CellGraph, nb201Config } from './spaces/nb201.js';
export {
  NB101_MAX_EDGES,
  NB101_NODES,
  NB101_OPS,
  type Nb101Config,
  type Nb101Op,
  type Nb101Spec,
  Nb101Space,
  hashModule,
  nb101,
  nb101Cell,
  nb101Config,
  nb101EdgeName,
  prune,
  vertexChannels,
} from './spaces/nb101.js';
export {
  type AttrSpec,
  type CellCandidateSpec,
  type CellSpec,
  type ChoiceValue,
  type InputChoiceSpec,
  type LayerChoiceSpec,
  type NodeSpec,
  type OpCandidateSpec,
  type RepeatSpec,
  type SpaceSpec,
  type ValueChoiceSpec,
  checkSpec,
} from './user/spec.js';
export { USER_COUNT_LIMIT, UserSpace, loadSpaceFile, userSpace } from './user/space.js';
export { CellRef, NodeRef, SpaceBuilder, TemplateBuilder, defineSpace, defineSpec } from './user/builder.js';
