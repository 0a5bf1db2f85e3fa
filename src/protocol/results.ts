/**
 * The types of an audit run folder's `results.json` (schema version 1), written by the audit run (src/audit) and
 * read by the extension's panels, the report and the CLI. Documented field by field in docs/results-schema.md.
 *
 * Conventions: every file path is relative to the run folder and uses `/`; class indices are 0-based into the
 * class-name list named beside them; rates are fractions in [0, 1]; a metric over seeds is a `SummaryStats`;
 * `null` means "not computable here" (e.g. no class map between foundation and child classes) and the reason is
 * given in a sibling `...Note` field, never a made-up number.
 */

export const RESULTS_SCHEMA_VERSION = 1;

/** A metric over n values (seeds, or subsets): mean, sample standard deviation, 95% t-interval (null when n < 2). */
export interface SummaryStats {
  n: number;
  mean: number;
  std: number;
  ci95: [number, number] | null;
}

/** A paired test of child versus scratch over seeds (paired t-test, or Wilcoxon signed-rank for small n). */
export interface PairedTest {
  test: 'paired-t' | 'wilcoxon-signed-rank';
  statistic: number;
  /** Degrees of freedom for the t-test; null for rank tests. */
  df: number | null;
  pValue: number;
  /** Number of pairs (seeds present for both child and scratch). */
  n: number;
}

/** A metric of the child compared to the scratch baseline: both sides over seeds and their paired difference. */
export interface ChildVersusScratch {
  child: SummaryStats;
  scratch: SummaryStats;
  /** child minus scratch, paired by seed. */
  difference: SummaryStats;
  /** null when fewer than 2 seeds pair up. */
  pairedTest: PairedTest | null;
}

export type ModelRole = 'foundation' | 'child' | 'scratch';
export type TransferKind = 'fixed-feature' | 'full-network' | 'partial';

/** One model of the lineage triad. `id` is unique within the run and is how every probe refers to it. */
export interface ModelEntry {
  /** e.g. `foundation`, `child-k2-s1`, `scratch-s1`. */
  id: string;
  role: ModelRole;
  /** Human-readable, e.g. `child K=2 seed 1`. */
  label: string;
  /** Frozen blocks (children only; null for foundation and scratch). */
  freezeDepth: number | null;
  transfer: TransferKind | null;
  seed: number | null;
  /** The model.json, relative to the run folder (or absolute when it lies outside it, e.g. the user's foundation). */
  checkpoint: string;
  /** sha256 of the model's weights and topology. */
  contentHash: string;
  classNames: string[];
  /** Which source a child derives from, when the run has several (planted-bias: `planted` / `clean`). */
  sourceId: string | null;
  /** BatchNorm statistics policy in frozen blocks (children only). */
  batchNormPolicy: 'frozen' | 'update' | null;
  /** Whether the weight hashes proved that the frozen blocks are unchanged after finetuning (children only). */
  frozenBlocksVerified: boolean | null;
  /**
   * The variant of the target training data the model was trained on: absent or null for the data as configured,
   * `debiased` (planted bias: the trigger on a share of every class), `reweight` / `resample-0.5` (group disparity).
   */
  trainingData?: string | null;
}

export interface Lineage {
  foundation: ModelEntry;
  /** Every freeze depth x seed (x source, for planted-bias runs). */
  children: ModelEntry[];
  /** One per seed. */
  scratch: ModelEntry[];
  /** Block names of the architecture, in order; freeze depth K freezes the first K. */
  blocks: string[];
  freezeDepths: number[];
  seeds: number[];
  /** Source models besides the foundation (planted-bias runs: `source-planted`, `source-clean`; role foundation, sourceId set). */
  sources?: ModelEntry[];
}

export interface TrainingEpoch {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
  imagesPerSecond: number | null;
}

export interface TrainingHistory {
  modelId: string;
  epochs: TrainingEpoch[];
  wallSeconds: number;
  /** True when the weights were reused from a finished step of an earlier run (resume). */
  reused: boolean;
}

export interface TargetDataset {
  /** The data SPEC as written in the config. */
  spec: string;
  classNames: string[];
  /** Training images per class (the class-size covariate uses these). */
  trainCounts: number[];
  testCount: number;
  contentHash: string;
}

/* ---------------------------------------------------------------- strong stimuli */

export interface StimulusParams {
  steps: number;
  learningRate: number;
  score: 'logit' | 'logsoftmax';
  jitterPixels: number;
  scaleRange: [number, number];
  rotationDegrees: number;
  l2Penalty: number;
  totalVariationPenalty: number;
  /** `decorrelated`: pixel basis with decorrelated colour; `fourier-decorrelated`: both (a no-op for grayscale, see `notes`). */
  parameterization: 'pixel' | 'fourier' | 'decorrelated' | 'fourier-decorrelated';
  seed: number;
  imageSize: [number, number];
  /** Foundation classes a stimulus was generated for (written by the stimuli probe; absent in older files). */
  classes?: number[];
  /** Classes optimised together in one batch. */
  batchSize?: number;
  optimizer?: 'adam';
  /** Spectrum decay of the Fourier parameterisation (1 / frequency^power). */
  fourierDecayPower?: number;
  /** Standard deviation of the random initial parameters. */
  initStd?: number;
  /** How parameters become valid pixels: 255 * sigmoid(raw). */
  pixelRange?: 'sigmoid';
  /** Things a reader must know about these settings (e.g. colour decorrelation is a no-op for grayscale). */
  notes?: string[];
}

export interface Stimulus {
  /** Index into `foundationClassNames`. */
  foundationClass: number;
  /** The mapped child class (by index or explicit map); null without a class map. */
  targetClass: number | null;
  /** PNG, relative to the run folder, e.g. `stimuli/class-003.png`. */
  image: string;
  /** The foundation model's own softmax probability for its class on the final stimulus. */
  foundationConfidence: number;
}

export interface LabelCount {
  label: number;
  name: string;
  count: number;
}

/** Most frequent predicted label among all stimuli on one model (the poster: 101 of 102 map to "sunflower"). */
export interface LabelMode extends LabelCount {
  /** count / number of stimuli. */
  share: number;
}

export interface StimuliModelResult {
  modelId: string;
  /** Predicted child-class index of each stimulus, in `stimuli` order. */
  predictedLabels: number[];
  labelMode: LabelMode;
  /** Every predicted label with its count, most frequent first. */
  labelCounts: LabelCount[];
  /** Per stimulus: ||p - e_t||_2 < ||c_t - e_t||_2. null without a class map. */
  outperforms: boolean[] | null;
  /** Per stimulus: ||p - e_t||_2. null without a class map. */
  stimulusDistance: number[] | null;
  /** Per stimulus: ||c_t - e_t||_2 with c_t the class-t centroid over the model's training images. */
  centroidDistance: number[] | null;
  /** Number of classes whose stimulus outperforms its centroid. null without a class map. */
  outperformingCount: number | null;
  /** Stimuli predicted as their own target class. null without a class map. */
  ownTargetHits: number | null;
}

export interface TransferringClassCounts {
  freezeDepth: number;
  /** Outperforming-class count over seeds. */
  outperforming: SummaryStats;
}

export interface ClassSizeCovariate {
  /** Mean training count of the classes that outperform in every child. */
  consistentMeanCount: number;
  otherMeanCount: number;
  consistentClassCount: number;
  otherClassCount: number;
  mannWhitneyU: number;
  /** Two-sided Mann-Whitney U p-value. */
  pValue: number;
}

export interface StrongStimuliResult {
  params: StimulusParams;
  classMapping: 'index' | 'explicit' | 'none';
  /** Why outperform statistics are null, when they are. */
  classMappingNote: string | null;
  foundationClassNames: string[];
  stimuli: Stimulus[];
  perModel: StimuliModelResult[];
  /** The poster's figure: outperforming classes per freeze depth (over seeds), scratch as the reference line. */
  transferByFreezeDepth: TransferringClassCounts[];
  scratchOutperforming: SummaryStats | null;
  /** Target classes whose stimulus outperforms in every child. null without a class map. */
  consistentClasses: number[] | null;
  classSizeCovariate: ClassSizeCovariate | null;
  /** Why `classSizeCovariate` is null, when it is (e.g. no class is consistent, or no child). */
  classSizeCovariateNote?: string | null;
}

/* ---------------------------------------------------------------- interventions */

export interface TriggerEntry {
  /** Stable id within the run, e.g. `square-yellow`. */
  id: string;
  /** As written: `square:size=0.15,color=#ffff00,position=top-left`. */
  spec: string;
  kind: 'square' | 'circle' | 'chain-link' | 'gaussian' | 'patch';
  /** The class a targeted ASR is measured for; null when untargeted only. */
  targetClass: number | null;
  /** A PNG of one test image with the trigger applied, relative to the run folder (for the panel). */
  example: string | null;
}

export interface InterventionModelResult {
  modelId: string;
  triggerId: string;
  cleanAccuracy: number;
  /** Bootstrap interval over test images. */
  cleanAccuracyCi95: [number, number] | null;
  /** Pr[C(T(x)) != y | C(x) = y]. */
  asr: number;
  /** Number of test images classified correctly without the trigger (the conditioning set). */
  asrDenominator: number;
  asrCi95: [number, number] | null;
  /** Pr[C(T(x)) = k | y != k]; null without a target class. */
  targetedAsr: number | null;
  targetedAsrDenominator: number | null;
  /** Predicted-class counts over the test set, clean and with the trigger. */
  histogramClean: number[];
  histogramTriggered: number[];
  /** Total-variation distance between the two prediction distributions. */
  totalVariation: number;
  /** Entropy (nats) of the prediction distribution. */
  entropyClean: number;
  entropyTriggered: number;
  /** Share of the most predicted class. */
  topClassShareClean: number;
  topClassShareTriggered: number;
  topClassTriggered: number;
}

export interface InterventionTransfer {
  triggerId: string;
  freezeDepth: number;
  sourceId: string | null;
  asr: ChildVersusScratch;
  cleanAccuracy: ChildVersusScratch;
  targetedAsr: ChildVersusScratch | null;
  totalVariation: ChildVersusScratch;
}

export interface InterventionsResult {
  /** Test data SPEC the metrics are measured on. */
  dataset: string;
  testImages: number;
  classNames: string[];
  triggers: TriggerEntry[];
  /** One entry per model x trigger. */
  perModel: InterventionModelResult[];
  /** Child minus scratch per freeze depth x trigger. */
  transfer: InterventionTransfer[];
}

/* ---------------------------------------------------------------- planted bias */

export interface PlantedBiasRow {
  sourceId: 'planted' | 'clean';
  transfer: TransferKind;
  freezeDepth: number;
  targetData: 'clean' | 'debiased';
  asr: SummaryStats;
  cleanAccuracy: SummaryStats;
  modelIds: string[];
}

export interface PlantedBiasComparison {
  label: string;
  /** Left minus right, paired by seed. */
  difference: SummaryStats;
  pairedTest: PairedTest | null;
}

export interface PlantedBiasResult {
  trigger: string;
  plantClass: number;
  plantClassName: string;
  plantFraction: number;
  sources: { sourceId: 'planted' | 'clean'; modelId: string; asr: number; cleanAccuracy: number }[];
  rows: PlantedBiasRow[];
  scratch: { asr: SummaryStats; cleanAccuracy: SummaryStats; modelIds: string[] };
  comparisons: PlantedBiasComparison[];
  /** The shape MISSION.md expects, each checked on this run's numbers. */
  expectations: { statement: string; holds: boolean }[];
}

/* ---------------------------------------------------------------- group disparity */

export interface FinetuningIntervention {
  /** `none`, `reweight`, `resample-0.5`, ... */
  id: string;
  kind: 'none' | 'reweight' | 'resample';
  /** Target label-attribute correlation for resampling; null otherwise. */
  correlation: number | null;
  label: string;
  /** Training images of the variant (resampled sets are smaller). Optional: added by the group-disparity probe. */
  trainImages?: number;
  /** Label-attribute correlation (phi) of the variant's training set, weighted for reweighting; null without a binary task and attribute. */
  achievedCorrelation?: number | null;
}

export interface GroupMetrics {
  group: string;
  n: number;
  accuracy: number;
  /** Binary tasks only, at the validation-calibrated threshold. */
  truePositiveRate: number | null;
  falsePositiveRate: number | null;
}

export interface GroupModelResult {
  modelId: string;
  interventionId: string;
  accuracy: number;
  perGroup: GroupMetrics[];
  /** Max minus min per-group accuracy. */
  accuracyGap: number;
  tprGap: number | null;
  fprGap: number | null;
  /** Decision threshold calibrated on validation data (binary tasks); null otherwise. */
  threshold: number | null;
}

export interface BiasVersusAccuracyRow {
  interventionId: string;
  role: ModelRole;
  freezeDepth: number | null;
  accuracy: SummaryStats;
  accuracyGap: SummaryStats;
  fprGap: SummaryStats | null;
  modelIds: string[];
}

export interface GroupDisparityResult {
  attribute: string;
  groups: string[];
  binary: boolean;
  positiveClass: number | null;
  interventions: FinetuningIntervention[];
  perModel: GroupModelResult[];
  biasVersusAccuracy: BiasVersusAccuracyRow[];
}

/* ---------------------------------------------------------------- associations */

export interface AssociationComparison {
  /** e.g. `surfboard~man`. */
  id: string;
  conceptA: string;
  conceptB: string;
}

export interface AssociationModelResult {
  modelId: string;
  /** Mean cosine similarity over random subsets, and its spread, in `comparisons` order. */
  associations: { comparisonId: string; mean: number; std: number }[];
}

export interface WeatResult {
  modelId: string;
  /** null when the association scores have no spread (the ratio is undefined). */
  effectSize: number | null;
  /** One-sided permutation p (Caliskan et al.): share of partitions with a mean difference at least the observed. */
  pValue: number;
  /** Two-sided permutation p (|mean difference|); absent in older files. */
  pValueTwoSided?: number;
  /** `exact`: every partition enumerated; `sampled`: random partitions with the add-one estimate. */
  method?: 'exact' | 'sampled';
  permutations: number;
}

export interface AssociationsResult {
  concepts: { name: string; images: number }[];
  comparisons: AssociationComparison[];
  subsetSize: number;
  repeats: number;
  perModel: AssociationModelResult[];
  /**
   * Spearman correlation of each child's (and scratch model's) association list with the foundation's; null when
   * a list is constant (no ranking). `pValue`: two-sided (exact permutation for n <= 9).
   */
  biasTransferScore: { modelId: string; spearman: number | null; pValue?: number | null }[];
  /** BTS per freeze depth over seeds. */
  biasTransferByFreezeDepth: { freezeDepth: number; spearman: SummaryStats }[];
  /** BTS of the scratch models over seeds: the reference a child's BTS is read against. */
  scratchBiasTransferScore?: SummaryStats | null;
  /** Seed of the random subsets (the same subsets for every model). */
  seed?: number;
  /** WEAT-style test: target concepts A/B against attribute concepts X/Y; null when not configured. */
  weat: { targets: [string, string]; attributes: [string, string]; perModel: WeatResult[] } | null;
}

/* ---------------------------------------------------------------- the whole file */

/** One figure to show at a glance (runs tree, CodeLens, status). */
export interface HeadlineFigure {
  label: string;
  /** Already formatted for display, e.g. `0.42 +- 0.05`. */
  value: string;
}

export interface ProbeResults {
  strongStimuli?: StrongStimuliResult;
  interventions?: InterventionsResult;
  plantedBias?: PlantedBiasResult;
  groupDisparity?: GroupDisparityResult;
  associations?: AssociationsResult;
}

export type ProbeName = keyof ProbeResults;
export const PROBE_NAMES: readonly ProbeName[] = ['strongStimuli', 'interventions', 'plantedBias', 'groupDisparity', 'associations'];

export interface AuditResults {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  runId: string;
  /** ISO 8601. */
  startedAt: string;
  finishedAt: string;
  /** The config file, absolute. */
  configPath: string;
  tool: { name: string; version: string };
  computeBackend: { name: string; threads: number; simd: boolean; detail: string };
  targetDataset: TargetDataset;
  lineage: Lineage;
  training: TrainingHistory[];
  /** A probe that was not configured is absent. */
  probes: ProbeResults;
  headline: HeadlineFigure[];
  /** Files beside results.json, relative: `report.html`, CSV exports. */
  files: { report: string | null; csv: string[] };
}
