import { join } from 'node:path';
import { writeFileAtomic } from '../../engine/util/atomic';
import type { AuditResults, ChildVersusScratch, ModelEntry, SummaryStats } from '../../protocol/results';
import { type CsvCell, type CsvTable, toCsv } from './csv';

export const CSV_DIR = 'csv';

const summaryHeader = (prefix: string): string[] => [`${prefix}_n`, `${prefix}_mean`, `${prefix}_std`, `${prefix}_ci95_low`, `${prefix}_ci95_high`];
const summaryCells = (s: SummaryStats | null | undefined): CsvCell[] => (s ? [s.n, s.mean, s.std, s.ci95?.[0], s.ci95?.[1]] : [null, null, null, null, null]);
const versusHeader = (metric: string): string[] => [...summaryHeader(`${metric}_child`), ...summaryHeader(`${metric}_scratch`), ...summaryHeader(`${metric}_difference`), `${metric}_paired_test`, `${metric}_paired_statistic`, `${metric}_paired_p`];
const versusCells = (v: ChildVersusScratch | null | undefined): CsvCell[] => [
  ...summaryCells(v?.child), ...summaryCells(v?.scratch), ...summaryCells(v?.difference), v?.pairedTest?.test, v?.pairedTest?.statistic, v?.pairedTest?.pValue,
];

/** Every table of a results.json as CSV tables (one per table the report shows). Pure. */
export function csvTables(results: AuditResults): CsvTable[] {
  const tables: CsvTable[] = [];
  const lineage = results.lineage;
  const models: ModelEntry[] = [lineage.foundation, ...(lineage.sources ?? []), ...lineage.children, ...lineage.scratch];
  tables.push({
    file: 'models.csv',
    header: ['id', 'role', 'label', 'freeze_depth', 'transfer', 'seed', 'source', 'training_data', 'batchnorm_policy', 'frozen_blocks_verified', 'content_hash', 'checkpoint'],
    rows: models.map((m) => [m.id, m.role, m.label, m.freezeDepth, m.transfer, m.seed, m.sourceId, m.trainingData ?? null, m.batchNormPolicy, m.frozenBlocksVerified, m.contentHash, m.checkpoint]),
  });
  tables.push({
    file: 'training.csv',
    header: ['model', 'epoch', 'loss', 'accuracy', 'val_loss', 'val_accuracy', 'images_per_second', 'reused'],
    rows: results.training.flatMap((t) => t.epochs.map((e) => [t.modelId, e.epoch, e.loss, e.accuracy, e.valLoss, e.valAccuracy, e.imagesPerSecond, t.reused])),
  });

  const stimuli = results.probes.strongStimuli;
  if (stimuli) {
    tables.push({
      file: 'strong-stimuli.csv',
      header: ['foundation_class', 'foundation_class_name', 'target_class', 'image', 'foundation_confidence', ...stimuli.perModel.map((m) => `predicted_${m.modelId}`), ...stimuli.perModel.map((m) => `outperforms_${m.modelId}`)],
      rows: stimuli.stimuli.map((s, i) => [
        s.foundationClass, stimuli.foundationClassNames[s.foundationClass], s.targetClass, s.image, s.foundationConfidence,
        ...stimuli.perModel.map((m) => m.predictedLabels[i]), ...stimuli.perModel.map((m) => m.outperforms?.[i] ?? null),
      ]),
    });
    tables.push({
      file: 'strong-stimuli-models.csv',
      header: ['model', 'outperforming_classes', 'own_target_hits', 'label_mode', 'label_mode_name', 'label_mode_count', 'label_mode_share'],
      rows: stimuli.perModel.map((m) => [m.modelId, m.outperformingCount, m.ownTargetHits, m.labelMode.label, m.labelMode.name, m.labelMode.count, m.labelMode.share]),
    });
    tables.push({
      file: 'label-modes.csv',
      header: ['model', 'label', 'name', 'count'],
      rows: stimuli.perModel.flatMap((m) => m.labelCounts.map((c) => [m.modelId, c.label, c.name, c.count])),
    });
    tables.push({
      file: 'strong-stimuli-by-freeze-depth.csv',
      header: ['group', 'freeze_depth', ...summaryHeader('outperforming')],
      rows: [
        ...stimuli.transferByFreezeDepth.map((t): CsvCell[] => ['child', t.freezeDepth, ...summaryCells(t.outperforming)]),
        ...(stimuli.scratchOutperforming ? [['scratch', null, ...summaryCells(stimuli.scratchOutperforming)]] : []),
      ],
    });
  }

  const interventions = results.probes.interventions;
  if (interventions) {
    tables.push({
      file: 'interventions.csv',
      header: ['model', 'trigger', 'clean_accuracy', 'clean_accuracy_ci95_low', 'clean_accuracy_ci95_high', 'asr', 'asr_denominator', 'asr_ci95_low', 'asr_ci95_high',
        'targeted_asr', 'targeted_asr_denominator', 'total_variation', 'entropy_clean', 'entropy_triggered', 'top_class_share_clean', 'top_class_share_triggered', 'top_class_triggered'],
      rows: interventions.perModel.map((r) => [
        r.modelId, r.triggerId, r.cleanAccuracy, r.cleanAccuracyCi95?.[0], r.cleanAccuracyCi95?.[1], r.asr, r.asrDenominator, r.asrCi95?.[0], r.asrCi95?.[1],
        r.targetedAsr, r.targetedAsrDenominator, r.totalVariation, r.entropyClean, r.entropyTriggered, r.topClassShareClean, r.topClassShareTriggered, r.topClassTriggered,
      ]),
    });
    tables.push({
      file: 'interventions-histograms.csv',
      header: ['model', 'trigger', 'condition', ...interventions.classNames],
      rows: interventions.perModel.flatMap((r): CsvCell[][] => [[r.modelId, r.triggerId, 'clean', ...r.histogramClean], [r.modelId, r.triggerId, 'triggered', ...r.histogramTriggered]]),
    });
    tables.push({
      file: 'interventions-transfer.csv',
      header: ['trigger', 'freeze_depth', 'source', ...versusHeader('asr'), ...versusHeader('clean_accuracy'), ...versusHeader('targeted_asr'), ...versusHeader('total_variation')],
      rows: interventions.transfer.map((t) => [t.triggerId, t.freezeDepth, t.sourceId, ...versusCells(t.asr), ...versusCells(t.cleanAccuracy), ...versusCells(t.targetedAsr), ...versusCells(t.totalVariation)]),
    });
  }

  const planted = results.probes.plantedBias;
  if (planted) {
    tables.push({
      file: 'planted-bias.csv',
      header: ['source', 'transfer', 'freeze_depth', 'target_data', ...summaryHeader('asr'), ...summaryHeader('clean_accuracy'), 'models'],
      rows: [
        ...planted.rows.map((r): CsvCell[] => [r.sourceId, r.transfer, r.freezeDepth, r.targetData, ...summaryCells(r.asr), ...summaryCells(r.cleanAccuracy), r.modelIds.join(' ')]),
        ['scratch', null, null, 'clean', ...summaryCells(planted.scratch.asr), ...summaryCells(planted.scratch.cleanAccuracy), planted.scratch.modelIds.join(' ')],
      ],
    });
    tables.push({
      file: 'planted-bias-comparisons.csv',
      header: ['comparison', ...summaryHeader('difference'), 'paired_test', 'paired_statistic', 'paired_p'],
      rows: planted.comparisons.map((c) => [c.label, ...summaryCells(c.difference), c.pairedTest?.test, c.pairedTest?.statistic, c.pairedTest?.pValue]),
    });
  }

  const groups = results.probes.groupDisparity;
  if (groups) {
    tables.push({
      file: 'group-disparity.csv',
      header: ['model', 'intervention', 'group', 'n', 'accuracy', 'true_positive_rate', 'false_positive_rate', 'model_accuracy', 'accuracy_gap', 'tpr_gap', 'fpr_gap', 'threshold'],
      rows: groups.perModel.flatMap((m) => m.perGroup.map((g) => [m.modelId, m.interventionId, g.group, g.n, g.accuracy, g.truePositiveRate, g.falsePositiveRate, m.accuracy, m.accuracyGap, m.tprGap, m.fprGap, m.threshold])),
    });
    tables.push({
      file: 'bias-versus-accuracy.csv',
      header: ['intervention', 'role', 'freeze_depth', ...summaryHeader('accuracy'), ...summaryHeader('accuracy_gap'), ...summaryHeader('fpr_gap'), 'models'],
      rows: groups.biasVersusAccuracy.map((r) => [r.interventionId, r.role, r.freezeDepth, ...summaryCells(r.accuracy), ...summaryCells(r.accuracyGap), ...summaryCells(r.fprGap), r.modelIds.join(' ')]),
    });
  }

  const associations = results.probes.associations;
  if (associations) {
    tables.push({
      file: 'associations.csv',
      header: ['model', 'comparison', 'mean_cosine', 'std'],
      rows: associations.perModel.flatMap((m) => m.associations.map((a) => [m.modelId, a.comparisonId, a.mean, a.std])),
    });
    tables.push({
      file: 'bias-transfer-score.csv',
      header: ['model', 'spearman', 'p_value'],
      rows: associations.biasTransferScore.map((b) => [b.modelId, b.spearman, b.pValue ?? null]),
    });
    if (associations.weat) {
      tables.push({
        file: 'weat.csv',
        header: ['model', 'effect_size', 'p_value', 'permutations'],
        rows: associations.weat.perModel.map((w) => [w.modelId, w.effectSize, w.pValue, w.permutations]),
      });
    }
  }
  return tables;
}

/** Writes every table under `csv/` (atomically); returns the files, relative to the run folder. */
export async function writeCsvExports(runDir: string, results: AuditResults): Promise<string[]> {
  const files: string[] = [];
  for (const table of csvTables(results)) {
    const file = `${CSV_DIR}/${table.file}`;
    await writeFileAtomic(join(runDir, CSV_DIR, table.file), toCsv(table));
    files.push(file);
  }
  return files;
}
