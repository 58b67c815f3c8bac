import { PolicyError } from '#contracts/errors.ts';
import { isDated } from './dated-keys.ts';
import { DRIFT_METHODS, METHODS_BY_KIND } from './drift/methods/index.ts';
import { parseDuration } from './duration.ts';
import { DEFAULT_NOTIFICATIONS, NOTIFICATION_KINDS } from './notifications.ts';
import { objectKeyIssue } from './object-key.ts';
import { bandWindowCount, estimatedStateBytes, recentWindowCount, STATE_BUDGET_BYTES } from './state-size.ts';
import { TimestampSchema } from './timestamp.ts';
import * as z from './zod.ts';

/** ISO-8601 duration such as `P1D`, `PT6H`, `PT30M`; stored as text, validated on registration. */
const Duration = z.string().check(
  z.refine((text) => parseDuration(text) !== undefined, {
    message: 'must be an ISO-8601 duration such as P1D, PT6H or PT30M (days, hours, minutes, seconds)',
  }),
);

const Identifier = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be 1-63 lowercase letters, digits, "-" or "_"'));

const ColumnName = z.string().check(z.minLength(1), z.maxLength(128));

/** An object key of the artifacts bucket (see {@link objectKeyIssue}); `allowed` are other accepted values. */
const objectKey = (...allowed: string[]) =>
  z.string().check(
    z.minLength(1),
    z.superRefine((key, ctx) => {
      const issue = allowed.includes(key) ? undefined : objectKeyIssue(key);
      if (issue)
        ctx.addIssue({ code: 'custom', message: `object key ${JSON.stringify(key.slice(0, 80))} ${issue}` });
    }),
  );
const ObjectKey = objectKey();

/**
 * Defaults of the KPI statistics, chosen by simulation (`npm run bench -- kpi`, `kaizen simulate`); the README's
 * "How KPI rules decide" gives the figures.
 */
export const KPI_DEFAULTS = {
  confidence: 0.95,
  consecutive: 2,
  baselineWindows: 28,
  baselineMinWindows: 7,
  cusumThreshold: 5,
  /** The CUSUM's shift as a share of `maxRelativeDrop`. */
  cusumShiftShare: 1 / 3,
  cusumLookback: 28,
} as const;

/** The reference period a KPI's baseline is learned from. */
export const BaselineSchema = z
  .strictObject({
    /** The champion's first windows with data after its deploy that form the baseline (count-weighted). */
    windows: z._default(z.int().check(z.gte(1), z.lte(100)), KPI_DEFAULTS.baselineWindows),
    /**
     * Until this many reference windows have data the rule is "learning": no relative drop, band or CUSUM. With
     * 1, one window is the baseline (its sampling error still counts; the between-window variation is unknown).
     */
    minWindows: z._default(z.int().check(z.gte(1), z.lte(100)), KPI_DEFAULTS.baselineMinWindows),
    /**
     * Per-weekday baselines for daily windows: `weekly`, `none`, or `auto` (weekly when the reference has two
     * windows of every weekday and the weekday effect is significant at 1%, F test).
     */
    seasonality: z._default(z.enum(['auto', 'none', 'weekly']), 'auto'),
    /** A fixed reference period `[start, end)` instead of the champion's first windows (e.g. a known-good month). */
    start: z.optional(TimestampSchema),
    end: z.optional(TimestampSchema),
  })
  .check(
    z.superRefine((baseline, ctx) => {
      if (baseline.minWindows > baseline.windows) {
        ctx.addIssue({
          code: 'custom',
          path: ['minWindows'],
          message: `minWindows ${baseline.minWindows} is more than windows ${baseline.windows}`,
        });
      }
      if ((baseline.start === undefined) !== (baseline.end === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [baseline.start === undefined ? 'start' : 'end'],
          message: 'a fixed reference period needs both start and end',
        });
      } else if (
        baseline.start !== undefined &&
        baseline.end !== undefined &&
        baseline.start >= baseline.end
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['end'],
          message: `end ${baseline.end} is not after start ${baseline.start}`,
        });
      }
    }),
  );

/** Page's CUSUM on the windows' log-likelihood ratio "worse by `shift`" against "as the baseline". */
export const CusumSchema = z.strictObject({
  /** The relative decline it looks for; default: a third of `maxRelativeDrop` (no CUSUM without either). */
  shift: z.optional(z.number().check(z.gt(0), z.lt(1))),
  /**
   * Fires when the statistic passes this many nats (on a healthy KPI, on average at least e^threshold windows
   * between false alarms).
   */
  threshold: z._default(z.number().check(z.gt(0), z.lte(50)), KPI_DEFAULTS.cusumThreshold),
  /** Windows back that Monitor reads to resume the statistic (older evidence is forgotten). */
  lookback: z._default(z.int().check(z.gte(1), z.lte(100)), KPI_DEFAULTS.cusumLookback),
});

/** A CloudWatch metric as GetMetricData names it: namespace, name and dimensions (name to value). */
const Name255 = z.string().check(z.minLength(1), z.maxLength(255));
const Dimensions = z.record(Name255, z.string().check(z.minLength(1), z.maxLength(1024)));
const CloudWatchMetricSchema = z.strictObject({
  namespace: Name255,
  metricName: Name255,
  dimensions: z._default(Dimensions, {}),
});

/** GetMetricData statistics: the basic ones, percentiles (`p99`, `p99.9`) and trimmed/winsorized forms (`tm90`). */
const Statistic = z.string().check(
  z.regex(/^(SampleCount|Average|Sum|Minimum|Maximum|IQM|(p|tm|wm|tc|ts|pr)\d{1,2}(\.\d{1,4})?)$/, {
    message:
      'must be a CloudWatch statistic: SampleCount, Average, Sum, Minimum, Maximum, IQM, p99, tm90, ...',
  }),
);

/**
 * Where a KPI already lives, when not ingested: a CloudWatch metric that the scheduled pull reads per window with
 * GetMetricData (`statistic` over the window gives the value) and stores as the KPI's observations. `count` names
 * the metric that carries the number of samples (its `Sum` over the window, by default); without it the count is
 * the metric's own `SampleCount`.
 */
export const KpiSourceSchema = z.strictObject({
  cloudwatch: z.strictObject({
    ...CloudWatchMetricSchema.shape,
    statistic: z._default(Statistic, 'Average'),
    /** The count's metric; its namespace and dimensions default to the KPI's. */
    count: z.optional(
      z.strictObject({
        namespace: z.optional(Name255),
        metricName: Name255,
        dimensions: z.optional(Dimensions),
        statistic: z._default(Statistic, 'Sum'),
      }),
    ),
  }),
});

/** One business KPI and the bounds it must stay within. */
export const KpiRuleSchema = z
  .strictObject({
    metric: ColumnName,
    /** Where the KPI's observations come from when not sent: a CloudWatch metric pulled on a schedule. */
    source: z.optional(KpiSourceSchema),
    /** Which direction is good: `higher` (conversion) or `lower` (fraud loss). */
    direction: z._default(z.enum(['higher', 'lower']), 'higher'),
    /**
     * What the value is, for its sampling error: `rate` (a proportion of `count` trials), `mean` (of `count`
     * rows; rows carry `sd`, or `sum` and `sumSquares`), `value` (no sampling model: the spread of the reference
     * windows). Default: `rate` when every reference value lies in [0, 1] (the binomial variance bounds any
     * mean of such values), else `value`.
     */
    kind: z.optional(z.enum(['rate', 'mean', 'value'])),
    /** Absolute lower bound: breached when the window's interval lies below it. */
    floor: z.optional(z.number()),
    /** Absolute upper bound: breached when the window's interval lies above it. */
    ceiling: z.optional(z.number()),
    /**
     * Largest tolerated relative move in the bad direction against the reference baseline (0.1 = 10%): breached
     * when the window is worse by more than this with `confidence`.
     */
    maxRelativeDrop: z.optional(z.number().check(z.gt(0), z.lt(1))),
    /** Fewer samples than this in the window means "insufficient data", never a breach. */
    minCount: z._default(z.int().check(z.nonnegative()), 0),
    /** Confidence of the rule's statements (two-sided intervals at this level). */
    confidence: z._default(z.number().check(z.gte(0.5), z.lte(0.9999)), KPI_DEFAULTS.confidence),
    /** A window test (floor, ceiling, relative drop, band) breaches when this many windows in a row with data fail it. */
    consecutive: z._default(z.int().check(z.gte(1), z.lte(10)), KPI_DEFAULTS.consecutive),
    baseline: z._default(BaselineSchema, {
      windows: KPI_DEFAULTS.baselineWindows,
      minWindows: KPI_DEFAULTS.baselineMinWindows,
      seasonality: 'auto',
    }),
    /** Slow-decline detector; `false` turns it off. */
    cusum: z._default(z.union([z.literal(false), CusumSchema]), {
      threshold: KPI_DEFAULTS.cusumThreshold,
      lookback: KPI_DEFAULTS.cusumLookback,
    }),
    /**
     * A band learned from the champion's reference period (its first `referenceWindows` windows after the
     * deploy): a window whose value is more than `k` standard deviations from the reference mean, in the bad
     * direction, breaches.
     */
    band: z.optional(
      z
        .strictObject({
          k: z._default(z.number().check(z.gt(0), z.lte(10)), 3),
          referenceWindows: z._default(z.int().check(z.gte(2), z.lte(100)), 14),
          /** Fewer complete reference windows than this: the band is still being learned and not checked. */
          minWindows: z._default(z.int().check(z.gte(2), z.lte(100)), 5),
        })
        .check(
          z.superRefine((band, ctx) => {
            if (band.minWindows > band.referenceWindows) {
              ctx.addIssue({
                code: 'custom',
                path: ['minWindows'],
                message: `minWindows ${band.minWindows} is more than referenceWindows ${band.referenceWindows}`,
              });
            }
          }),
        ),
    ),
    /**
     * What one unit of the KPI is worth, so `kaizen roi` and the report state a deploy's uplift in money: a rate's
     * event (one conversion: uplift × trials events), a mean's unit (uplift × samples units), a value's unit in
     * one window (uplift × windows).
     */
    value: z.optional(
      z.strictObject({
        perUnit: z.number(),
        currency: z._default(
          z.string().check(z.regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD or EUR')),
          'USD',
        ),
      }),
    ),
  })
  .check(
    z.superRefine((rule, ctx) => {
      if (rule.floor !== undefined && rule.ceiling !== undefined && rule.floor > rule.ceiling) {
        ctx.addIssue({
          code: 'custom',
          path: ['floor'],
          message: `floor ${rule.floor} is above ceiling ${rule.ceiling}`,
        });
      }
    }),
  );

/** Drift rule: per-feature score ceilings, with one default for the rest. */
export const DriftRuleSchema = z.strictObject({
  /** Ceiling for any feature's drift score without its own threshold (PSI 0.25 = major shift). */
  maxScore: z._default(z.number().check(z.nonnegative()), 0.25),
  /** Per-feature ceilings that override `maxScore`. */
  features: z._default(z.record(ColumnName, z.number().check(z.nonnegative())), {}),
  /** The dataset drifts when at least this share of its features drift (needs per-feature verdicts). */
  maxShare: z._default(z.number().check(z.gt(0), z.lte(1)), 0.5),
});

/** A breach must hold in `breaches` of the last `windows` windows; the alert clears after `clearAfter` healthy ones. */
export const PersistenceSchema = z
  .strictObject({
    breaches: z._default(z.int().check(z.gte(1), z.lte(100)), 1),
    windows: z._default(z.int().check(z.gte(1), z.lte(100)), 1),
    clearAfter: z._default(z.int().check(z.gte(1), z.lte(100)), 1),
  })
  .check(
    z.superRefine((rule, ctx) => {
      if (rule.breaches > rule.windows) {
        ctx.addIssue({
          code: 'custom',
          path: ['breaches'],
          message: `breaches ${rule.breaches} cannot exceed windows ${rule.windows}`,
        });
      }
    }),
  );

/** At most `maxRetrains` retrains per `period`. */
export const BudgetSchema = z.strictObject({
  maxRetrains: z.int().check(z.gte(1), z.lte(1000)),
  period: Duration,
});

/** One monitored input column of the model. */
export const MonitoredFeatureSchema = z.strictObject({
  name: ColumnName,
  /** `numeric` (numbers), `categorical` (labels), `binary` (labels with two values). */
  type: z.enum(['numeric', 'categorical', 'binary']),
  /** Drift method; default: chosen by type and reference size (KS/Wasserstein, chi-squared/JS, z-test). */
  method: z.optional(z.enum(DRIFT_METHODS)),
  /** Drift threshold of the method (a p-value for ks/chisquare/ztest, a distance otherwise). */
  threshold: z.optional(z.number().check(z.nonnegative())),
});

/** Drift and data quality computed from datasets in the bucket (reference vs current window). */
export const MonitoringSchema = z
  .strictObject({
    /**
     * Object key of the reference dataset (CSV, JSON Lines or Parquet, by extension), or `@champion` for the
     * snapshot of the data the current champion was trained on.
     */
    reference: objectKey('@champion'),
    /** Object key of the current window's dataset; `{date}` is replaced by the window's start date (YYYY-MM-DD). */
    current: ObjectKey,
    features: z.array(MonitoredFeatureSchema).check(z.minLength(1), z.maxLength(500)),
    /** A current window with fewer rows is "insufficient data": no drift, no data-quality verdict. */
    minRows: z._default(z.int().check(z.gte(1)), 100),
    /** Share of drifted features at which the dataset counts as drifted. */
    driftShare: z._default(z.number().check(z.gt(0), z.lte(1)), 0.5),
    quality: z._default(
      z.strictObject({
        /** Largest tolerated share of missing (empty, NaN, null) values per feature. */
        maxMissingRate: z._default(z.number().check(z.gte(0), z.lte(1)), 0.05),
        /** Largest tolerated share of numeric values outside the reference's [min, max]. */
        maxOutOfRangeRate: z._default(z.number().check(z.gte(0), z.lte(1)), 0.05),
        /** Largest tolerated share of categorical values the reference never had. */
        maxUnseenRate: z._default(z.number().check(z.gte(0), z.lte(1)), 0.05),
      }),
      { maxMissingRate: 0.05, maxOutOfRangeRate: 0.05, maxUnseenRate: 0.05 },
    ),
  })
  .check(
    z.superRefine((monitoring, ctx) => {
      if (isDated(monitoring.reference)) {
        ctx.addIssue({
          code: 'custom',
          path: ['reference'],
          message: 'the reference is one dataset: {date} belongs in monitoring.current',
        });
      }
      const seen = new Set<string>();
      monitoring.features.forEach((feature, index) => {
        if (seen.has(feature.name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['features', index, 'name'],
            message: `duplicate feature "${feature.name}"`,
          });
        }
        seen.add(feature.name);
        const method = feature.method;
        if (method === undefined || METHODS_BY_KIND[feature.type].includes(method)) return;
        // A method for binary features only (ztest) on a categorical one just needs the binary type.
        const binaryOnly =
          !METHODS_BY_KIND.numeric.includes(method) && !METHODS_BY_KIND.categorical.includes(method);
        if (!binaryOnly || feature.type === 'numeric') {
          ctx.addIssue({
            code: 'custom',
            path: ['features', index, 'method'],
            message: `${method} is not a method for ${feature.type} features`,
          });
        }
        if (binaryOnly) {
          ctx.addIssue({
            code: 'custom',
            path: ['features', index, 'method'],
            message: `${method} needs a binary feature`,
          });
        }
      });
    }),
  );

export type MonitoringPolicy = z.infer<typeof MonitoringSchema>;

/** Duration in whole seconds (Step Functions' timeouts and SageMaker's runtimes take integers). */
const WholeSeconds = (max: number, what: string) =>
  Duration.check(
    z.refine((text) => Number.isInteger(parseDuration(text)) && (parseDuration(text) ?? 0) >= 1, {
      message: 'must be a whole number of seconds, at least one',
    }),
    z.refine((text) => (parseDuration(text) ?? 0) <= max, {
      message: `must be at most ${Math.floor(max / 86_400)} days (${what})`,
    }),
  );

/** A script inside the source folder: `train.py`, `src/predict.py`; python, node or bash by extension. */
const EntryPoint = z.string().check(
  z.minLength(1),
  z.maxLength(256),
  z.regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9_./-]+\.(py|js|mjs|sh)$/, {
    message: 'must be a relative path inside the source folder ending in .py, .js, .mjs or .sh',
  }),
);

/** A SageMaker `sourcedir.tar.gz` in the bucket (`kaizen upload <folder> <key>` packs one). */
const SourceArchive = ObjectKey.check(
  z.refine((key) => key.endsWith('.tar.gz'), {
    message: 'must be a .tar.gz archive (kaizen upload <folder> <key>.tar.gz packs one)',
  }),
);

/** SageMaker channel names; the channel's objects land in `SM_CHANNEL_<NAME>`. */
const ChannelName = z
  .string()
  .check(z.regex(/^[A-Za-z0-9.\-_]{1,64}$/, 'must be 1-64 letters, digits, ".", "-" or "_"'));

/** Input data per channel: an object key, with `{date}` the daily objects of the training window. */
const Channels = z
  .record(ChannelName, ObjectKey)
  .check(z.refine((channels) => Object.keys(channels).length <= 20, { message: 'at most 20 channels' }));

/** How the built-in trainer (L2-regularised logistic regression) retrains the model. */
export const BuiltinTrainingSchema = z
  .strictObject({
    backend: z.literal('builtin'),
    /**
     * Object key of the training CSV in the artifacts bucket. With `{date}` it names daily objects, and the
     * model is retrained on every day of `window` before the run's time (fresh data at each retrain).
     */
    dataset: ObjectKey,
    /** How many days of `{date}` objects a retrain reads; default: the monitoring window. */
    window: z.optional(Duration),
    /** Name of the 0/1 label column. */
    label: ColumnName,
    /** Numeric feature columns, in model order. */
    features: z.array(ColumnName).check(z.minLength(1), z.maxLength(2000)),
    params: z._default(
      z.strictObject({
        /** Ignored since the trainer solves by Newton's method; still accepted so existing policies load. */
        learningRate: z._default(z.number().check(z.gt(0), z.lte(10)), 0.5),
        /** Ignored since the trainer solves by Newton's method; still accepted so existing policies load. */
        epochs: z._default(z.int().check(z.gte(1), z.lte(100_000)), 300),
        /** L2 penalty on the weights (mean log-loss + l2/2 |w|^2, on standardised features). */
        l2: z._default(z.number().check(z.nonnegative()), 0.001),
        /** Most solver iterations before the retrain fails as not converged (the trainer's default: 100). */
        maxIterations: z.optional(z.int().check(z.gte(1), z.lte(1000))),
        /** Converged when every partial derivative of the objective is at most this (default: 1e-6). */
        tolerance: z.optional(z.number().check(z.gt(0), z.lte(0.1))),
      }),
      { learningRate: 0.5, epochs: 300, l2: 0.001 },
    ),
  })
  .check(
    z.superRefine((training, ctx) => {
      if (training.features.includes(training.label)) {
        ctx.addIssue({
          code: 'custom',
          path: ['label'],
          message: `label "${training.label}" is also a feature`,
        });
      }
      const seen = new Set<string>();
      training.features.forEach((feature, index) => {
        if (seen.has(feature)) {
          ctx.addIssue({
            code: 'custom',
            path: ['features', index],
            message: `duplicate feature "${feature}"`,
          });
        }
        seen.add(feature);
      });
    }),
  );

/** SageMaker allows 28 days of training. */
const MAX_SAGEMAKER_RUNTIME_SECONDS = 28 * 86_400;

/** SageMaker script mode: the team's `entryPoint` in `sourceDir`, run in a framework or custom image. */
export const SageMakerTrainingSchema = z.strictObject({
  backend: z.literal('sagemaker'),
  /** ECR image URI of a SageMaker framework container (scikit-learn, XGBoost, PyTorch) or a custom one. */
  image: z.string().check(z.minLength(1), z.maxLength(255)),
  /** The training script inside `sourceDir`. */
  entryPoint: EntryPoint,
  /** Object key of the source folder packed as `.tar.gz`. */
  sourceDir: SourceArchive,
  instanceType: z._default(
    z
      .string()
      .check(z.regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, 'must be a SageMaker instance type such as ml.m5.large')),
    'ml.m5.large',
  ),
  instanceCount: z._default(z.int().check(z.gte(1), z.lte(100)), 1),
  volumeSizeGb: z._default(z.int().check(z.gte(1), z.lte(16_384)), 30),
  /** The job is stopped (and the run fails) after this long. */
  maxRuntime: z._default(WholeSeconds(MAX_SAGEMAKER_RUNTIME_SECONDS, "SageMaker's limit"), 'PT2H'),
  /** Passed to the script as `--name value` and in `SM_HPS`. */
  hyperparameters: z._default(
    z
      .record(
        z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/, 'must be a hyperparameter name')),
        z.union([z.string().check(z.maxLength(2500)), z.number(), z.boolean()]),
      )
      .check(z.refine((hps) => Object.keys(hps).length <= 100, { message: 'at most 100 hyperparameters' })),
    {},
  ),
  /** Training data per channel. */
  channels: Channels.check(
    z.refine((channels) => Object.keys(channels).length >= 1, {
      message: 'needs at least one channel',
    }),
  ),
  /** How many days of `{date}` objects a retrain reads; default: the monitoring window. */
  window: z.optional(Duration),
});

/** A Standard workflow runs at most one year; a callback task must answer within it. */
const MAX_CALLBACK_SECONDS = 364 * 86_400;

/** An external trainer (Airflow, Databricks, a SageMaker Pipeline, CI) answers a training request. */
export const CallbackTrainingSchema = z
  .strictObject({
    backend: z.literal('callback'),
    /** Data keys passed in the request, per channel; `{date}` keys are listed per day of `window`. */
    channels: z._default(Channels, {}),
    window: z.optional(Duration),
    /** The run fails (champion unchanged) when no answer comes within this. */
    timeout: z._default(
      WholeSeconds(MAX_CALLBACK_SECONDS, "a Standard workflow's one-year limit").check(
        z.refine((text) => (parseDuration(text) ?? 0) >= 2, { message: 'must be at least 2 seconds' }),
      ),
      'P1D',
    ),
    /** The trainer must send a heartbeat at least this often (SendTaskHeartbeat); default: none. */
    heartbeat: z.optional(WholeSeconds(MAX_CALLBACK_SECONDS, "a Standard workflow's one-year limit")),
    /** Passed as is in the request's `parameters` (e.g. the pipeline to start). */
    parameters: z._default(z.record(z.string(), z.json()), {}),
  })
  .check(
    z.superRefine((training, ctx) => {
      const heartbeat = parseDuration(training.heartbeat ?? '');
      if (heartbeat !== undefined && heartbeat >= (parseDuration(training.timeout) ?? 0)) {
        ctx.addIssue({
          code: 'custom',
          path: ['heartbeat'],
          message: `heartbeat ${training.heartbeat} must be shorter than the timeout ${training.timeout}`,
        });
      }
    }),
  );

/** Policies written before backends existed have no `backend`: they use the built-in trainer. */
function withDefaultBackend(value: unknown): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !('backend' in value)
    ? { backend: 'builtin', ...value }
    : value;
}

/** How the model is retrained: `builtin` (default), `sagemaker` (script mode) or `callback` (external). */
export const TrainingSchema = z.pipe(
  z.transform(withDefaultBackend),
  z.discriminatedUnion('backend', [BuiltinTrainingSchema, SageMakerTrainingSchema, CallbackTrainingSchema]),
);

export type TrainingPolicy = z.infer<typeof TrainingSchema>;
export type BuiltinTraining = z.infer<typeof BuiltinTrainingSchema>;
export type SageMakerTraining = z.infer<typeof SageMakerTrainingSchema>;
export type CallbackTraining = z.infer<typeof CallbackTrainingSchema>;

/** The champion/challenger gate. */
export const EvaluationSchema = z.strictObject({
  /** Object key of the holdout CSV both models are scored on; `{date}` names daily objects, as for training. */
  holdout: ObjectKey,
  /** How many days of `{date}` holdout objects the gate scores on; default: the monitoring window. */
  window: z.optional(Duration),
  /** The holdout's label column; default: the built-in trainer's `training.label`. */
  label: z.optional(ColumnName),
  /** `auc`, `accuracy`, `logloss` for 0/1 labels; `rmse`, `mae` for regression models. */
  metric: z._default(z.enum(['auc', 'accuracy', 'logloss', 'rmse', 'mae']), 'auc'),
  /** The candidate must beat the champion by at least this much (absolute, in the metric's units). */
  minImprovement: z._default(z.number().check(z.nonnegative()), 0.005),
  /** Absolute floor for the candidate's score (`auc`/`accuracy`) or ceiling (`logloss`, `rmse`, `mae`). */
  minScore: z.optional(z.number()),
  /**
   * Scoring script for models Kaizen cannot run itself, run once per model as
   * `<entryPoint> --model-dir DIR --holdout FILE --output FILE` (a SageMaker Processing job on AWS).
   */
  entryPoint: z.optional(EntryPoint),
  /** The `.tar.gz` holding `entryPoint`; default: the SageMaker training's `sourceDir`. */
  sourceDir: z.optional(SourceArchive),
  /** Image the scoring script runs in; default: the SageMaker training's `image`. */
  image: z.optional(z.string().check(z.minLength(1), z.maxLength(255))),
  instanceType: z._default(
    z
      .string()
      .check(z.regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, 'must be a SageMaker instance type such as ml.m5.large')),
    'ml.m5.large',
  ),
  /** The scoring job is stopped (and the run fails) after this long. */
  maxRuntime: z._default(WholeSeconds(MAX_SAGEMAKER_RUNTIME_SECONDS, "SageMaker's limit"), 'PT1H'),
});

/** Where a promoted model serves. */
export const RegistryTargetSchema = z.strictObject({
  /** The `champion` alias in the registry (and the events): serving code reads it (`kaizen champion`). */
  target: z.literal('registry'),
});

const PERCENT = z.number().check(z.gt(0), z.lte(100));

/** A SageMaker real-time endpoint, updated blue/green to a new endpoint config per version. */
export const SageMakerEndpointTargetSchema = z.strictObject({
  target: z.literal('sagemaker-endpoint'),
  /** The endpoint (created on the first deploy if it does not exist). */
  endpointName: z
    .string()
    .check(z.regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'must be a SageMaker endpoint name')),
  /** The inference image (e.g. the framework's serving image). */
  image: z.string().check(z.minLength(1), z.maxLength(255)),
  instanceType: z._default(
    z
      .string()
      .check(z.regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, 'must be a SageMaker instance type such as ml.m5.large')),
    'ml.m5.large',
  ),
  instanceCount: z._default(z.int().check(z.gte(1), z.lte(100)), 1),
  /** Passed to the container, besides `SAGEMAKER_PROGRAM`-style settings the image needs. */
  environment: z._default(
    z.record(
      z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]{0,1023}$/)),
      z.string().check(z.maxLength(1024)),
    ),
    {},
  ),
  /** Blue/green traffic shifting: all at once, a canary share first, or linear steps. */
  routing: z._default(
    z
      .strictObject({
        type: z._default(z.enum(['ALL_AT_ONCE', 'CANARY', 'LINEAR']), 'ALL_AT_ONCE'),
        /** CANARY: the share of capacity that takes traffic first; LINEAR: the share added at each step. */
        percent: z.optional(PERCENT),
        /** Wait between shifts (SageMaker watches the alarms meanwhile). */
        wait: z._default(WholeSeconds(3600, "SageMaker's limit"), 'PT5M'),
      })
      .check(
        z.superRefine((routing, ctx) => {
          if (routing.type !== 'ALL_AT_ONCE' && routing.percent === undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['percent'],
              message: `required with ${routing.type} routing`,
            });
          }
        }),
      ),
    { type: 'ALL_AT_ONCE', wait: 'PT5M' },
  ),
  /** CloudWatch alarms that make SageMaker roll the update back on its own. */
  alarms: z._default(z.array(z.string().check(z.minLength(1), z.maxLength(255))).check(z.maxLength(10)), []),
  /** How often the loop checks the endpoint while it updates. */
  pollInterval: z._default(WholeSeconds(3600, 'an hour at most'), 'PT1M'),
});

/** A Lambda function behind an alias: a version per model, traffic shifted by alias weights (`rollout.stages`). */
export const LambdaAliasTargetSchema = z.strictObject({
  target: z.literal('lambda-alias'),
  /** The team's inference function (name or ARN). */
  functionName: z.string().check(z.minLength(1), z.maxLength(170)),
  /** The alias callers invoke. */
  alias: z._default(
    z.string().check(z.regex(/^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$/, 'must be a Lambda alias name')),
    'live',
  ),
  /** The environment variable that tells the function which model to load (an `s3://` URI). */
  artifactVariable: z._default(
    z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/)),
    'KAIZEN_MODEL_ARTIFACT',
  ),
});

/** Policies without `deployment` use the registry. */
export const DeploymentSchema = z.discriminatedUnion('target', [
  RegistryTargetSchema,
  SageMakerEndpointTargetSchema,
  LambdaAliasTargetSchema,
]);

export type DeploymentPolicy = z.infer<typeof DeploymentSchema>;

/** When a person must approve a promotion, and how long the loop waits for them. */
export const ApprovalSchema = z.strictObject({
  /** Every promotion waits for a person. */
  required: z._default(z.boolean(), false),
  /**
   * Only promotions that beat the champion by more than this (in the metric's units) wait for a person: a
   * gain too good to be true often is (TFX's "suspicious improvement").
   */
  whenGainAbove: z.optional(z.number().check(z.nonnegative())),
  /** No answer within this is a recorded rejection; the champion stays. */
  timeout: z._default(
    WholeSeconds(MAX_CALLBACK_SECONDS, "a Standard workflow's one-year limit").check(
      z.refine((text) => (parseDuration(text) ?? 0) >= 2, { message: 'must be at least 2 seconds' }),
    ),
    'P2D',
  ),
});

export { DEFAULT_NOTIFICATIONS, NOTIFICATION_KINDS, type NotificationKind } from './notifications.ts';

/** Which news of this model is published on the notification topic. */
export const NotificationsSchema = z.strictObject({
  /** The kinds of news to publish; `[]` publishes nothing (alarms still fire). */
  on: z._default(
    z
      .array(
        z.enum(NOTIFICATION_KINDS, {
          error: (issue) =>
            `unknown notification ${JSON.stringify(issue.input)}: use ${NOTIFICATION_KINDS.join(', ')}`,
        }),
      )
      .check(z.maxLength(NOTIFICATION_KINDS.length * 2)),
    [...DEFAULT_NOTIFICATIONS],
  ),
});

/** A Standard workflow runs at most one year; the bake-and-verify phase must fit with time to spare. */
const MAX_BAKE_PHASE_SECONDS = 365 * 86_400 - 86_400;

/** How a promoted candidate is verified after the deploy. */
export const RolloutSchema = z
  .strictObject({
    /** Wait between the deploy and each KPI check (whole seconds: Step Functions' Wait takes integers). */
    bakePeriod: z._default(Duration, 'PT1H').check(
      z.refine((text) => Number.isInteger(parseDuration(text)), {
        message: 'must be a whole number of seconds (Step Functions waits whole seconds)',
      }),
    ),
    /**
     * Checks at most: the sequential test stops earlier when the result is clear; at the last check an
     * undecided KPI is kept unless that check's interval shows it worse than before, and one without
     * `minCount` samples fails (no data is not a pass).
     */
    maxChecks: z._default(z.int().check(z.gte(1), z.lte(100)), 3),
    /**
     * The relative drop a deploy must not cause: the post-deploy KPI is compared with the previous champion's
     * recent level by an always-valid confidence sequence; it passes once it is within this drop with
     * `confidence`, and rolls back once it is worse than before with `confidence`.
     */
    maxRelativeDrop: z._default(z.number().check(z.gt(0), z.lt(1)), 0.1),
    /** Confidence of the sequential test (its bounds hold at every check at once). */
    confidence: z._default(z.number().check(z.gte(0.5), z.lte(0.9999)), 0.95),
    /** Post-deploy samples a KPI needs before a verdict; fewer at the last check is "no data", a failure. */
    minCount: z._default(z.int().check(z.gte(1)), 1),
    /** Pre-deploy windows at most that form the previous champion's level (cut at its last change). */
    baselineWindows: z._default(z.int().check(z.gte(1), z.lte(100)), 28),
    /**
     * Traffic stages (the `lambda-alias` target): the candidate's share of traffic, in percent, at each stage;
     * every stage bakes and is verified before the next. The last is 100.
     */
    stages: z._default(
      z.array(z.number().check(z.gt(0), z.lte(100))).check(
        z.minLength(1),
        z.maxLength(10),
        z.refine((stages) => stages.every((percent, i) => i === 0 || percent > (stages[i - 1] as number)), {
          message: 'must increase',
        }),
        z.refine((stages) => stages.at(-1) === 100, {
          message: 'must end at 100 (the candidate takes all traffic)',
        }),
      ),
      [100],
    ),
  })
  .check(
    z.superRefine((rollout, ctx) => {
      const bake = (parseDuration(rollout.bakePeriod) ?? 0) * rollout.stages.length;
      if (bake * rollout.maxChecks > MAX_BAKE_PHASE_SECONDS) {
        ctx.addIssue({
          code: 'custom',
          path: ['bakePeriod'],
          message:
            `bakePeriod ${rollout.bakePeriod} x maxChecks ${rollout.maxChecks} x ${rollout.stages.length} stages is ${Math.round((bake * rollout.maxChecks) / 86_400)} ` +
            'days: the verification must finish within the one-year limit of a Standard workflow (364 days at most)',
        });
      }
    }),
  );

/** A registered model and the policy the loop applies to it. */
export const ModelPolicyBaseSchema = z.strictObject({
  modelId: Identifier,
  description: z.optional(z.string().check(z.maxLength(500))),
  /** Monitoring window: observations in `[asOf - window, asOf)` are analyzed. */
  window: z._default(Duration, 'P1D'),
  kpis: z._default(z.array(KpiRuleSchema).check(z.maxLength(50)), []),
  drift: z.optional(DriftRuleSchema),
  monitoring: z.optional(MonitoringSchema),
  persistence: z._default(PersistenceSchema, { breaches: 1, windows: 1, clearAfter: 1 }),
  /** No retraining this long after a deploy, while the new champion settles. */
  cooldown: z._default(Duration, 'PT0S'),
  /** KPI, drift and quality rows of this model expire this long after their timestamp (DynamoDB TTL); default: kept. */
  retention: z.optional(Duration),
  /** Retrain budget; default: at most 10 retrains a week. */
  budget: z._default(BudgetSchema, { maxRetrains: 10, period: 'P7D' }),
  training: TrainingSchema,
  evaluation: EvaluationSchema,
  /** Where a promoted model serves; default: the registry's `champion` alias. */
  deployment: z._default(DeploymentSchema, { target: 'registry' }),
  /** Human approval of promotions; default: none. */
  approval: z.optional(ApprovalSchema),
  /** What the owners are told; default: blocked, approval, rollback and failure. */
  notifications: z._default(NotificationsSchema, { on: [...DEFAULT_NOTIFICATIONS] }),
  rollout: z._default(RolloutSchema, {
    bakePeriod: 'PT1H',
    maxChecks: 3,
    maxRelativeDrop: 0.1,
    confidence: 0.95,
    minCount: 1,
    baselineWindows: 28,
    stages: [100],
  }),
});

/** A registered model and the policy the loop applies to it, with the rules between its sections. */
export const ModelPolicySchema = ModelPolicyBaseSchema.check(
  z.superRefine((policy, ctx) => {
    const seen = new Set<string>();
    policy.kpis.forEach((rule, index) => {
      if (seen.has(rule.metric)) {
        ctx.addIssue({
          code: 'custom',
          path: ['kpis', index, 'metric'],
          message: `duplicate KPI "${rule.metric}"`,
        });
      }
      seen.add(rule.metric);
    });
    const window = parseDuration(policy.window);
    if (window === 0) ctx.addIssue({ code: 'custom', path: ['window'], message: 'must be longer than zero' });
    const budgetPeriod = parseDuration(policy.budget.period);
    if (window !== undefined && budgetPeriod !== undefined && budgetPeriod < window) {
      ctx.addIssue({
        code: 'custom',
        path: ['budget', 'period'],
        message: `budget period ${policy.budget.period} is shorter than the window ${policy.window}`,
      });
    }
    const known = new Set([
      ...(policy.training.backend === 'builtin' ? policy.training.features : []),
      ...(policy.monitoring?.features.map((f) => f.name) ?? []),
    ]);
    for (const feature of Object.keys(policy.drift?.features ?? {})) {
      if (!known.has(feature)) {
        ctx.addIssue({
          code: 'custom',
          path: ['drift', 'features', feature],
          message: `unknown feature "${feature}": not in training.features or monitoring.features`,
        });
      }
    }
    if (policy.kpis.length === 0 && policy.drift === undefined && policy.monitoring === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['kpis'],
        message: 'a policy needs at least one KPI rule, a drift rule or a monitoring section',
      });
    }
    backendIssues(policy, ctx);
    if (policy.rollout.stages.length > 1 && policy.deployment.target !== 'lambda-alias') {
      const why =
        policy.deployment.target === 'registry'
          ? 'the registry cannot split traffic'
          : 'a SageMaker endpoint shifts traffic with deployment.routing';
      ctx.addIssue({
        code: 'custom',
        path: ['rollout', 'stages'],
        message: `traffic stages need the lambda-alias target (${why})`,
      });
    }
    const bytes = estimatedStateBytes(policy);
    if (bytes > STATE_BUDGET_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['persistence'],
        message:
          `the loop would carry up to ${Math.round(bytes / 1024)} KB of evidence (${recentWindowCount(policy)} ` +
          `recent and ${bandWindowCount(policy)} band windows of ${policy.kpis.length} KPIs and the drift of ` +
          `${policy.monitoring?.features.length ?? 0} features) between steps, over its ${STATE_BUDGET_BYTES / 1024} KB ` +
          "budget under Step Functions' 256 KB state limit: use fewer persistence windows, band reference windows, KPIs or features",
      });
    }
  }),
);

type Issues = z.core.$RefinementCtx;

/** Rules between `training`, `evaluation` and `monitoring` that depend on the training backend. */
function backendIssues(policy: z.infer<typeof ModelPolicyBaseSchema>, ctx: Issues): void {
  const { training, evaluation } = policy;
  const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const trainingKeys = training.backend === 'builtin' ? [training.dataset] : Object.values(training.channels);
  if (training.window !== undefined && !trainingKeys.some(isDated)) {
    issue(
      ['training', 'window'],
      `a window needs daily objects: put {date} in ${training.backend === 'builtin' ? 'training.dataset' : 'a channel key'}`,
    );
  }
  if (evaluation.window !== undefined && !isDated(evaluation.holdout)) {
    issue(['evaluation', 'window'], 'a window needs daily objects: put {date} in evaluation.holdout');
  }
  if (training.backend === 'builtin') {
    if (evaluation.metric === 'rmse' || evaluation.metric === 'mae') {
      issue(
        ['evaluation', 'metric'],
        `${evaluation.metric} is a regression metric; the built-in trainer is a 0/1 classifier (use auc, accuracy or logloss)`,
      );
    }
    for (const field of ['entryPoint', 'sourceDir', 'image'] as const) {
      if (evaluation[field] !== undefined) {
        issue(['evaluation', field], 'the built-in model is scored by Kaizen itself: remove it');
      }
    }
    if (evaluation.label !== undefined && evaluation.label !== training.label) {
      issue(['evaluation', 'label'], `differs from training.label "${training.label}"`);
    }
    return;
  }
  if (evaluation.label === undefined) {
    issue(
      ['evaluation', 'label'],
      `required with the ${training.backend} backend: the holdout's label column`,
    );
  }
  if (policy.monitoring?.reference === '@champion') {
    issue(
      ['monitoring', 'reference'],
      `@champion is the built-in trainer's data snapshot; with the ${training.backend} backend name a reference dataset`,
    );
  }
  if (training.backend === 'sagemaker') {
    if (evaluation.entryPoint === undefined) {
      issue(
        ['evaluation', 'entryPoint'],
        'required with the sagemaker backend: the scoring script (e.g. predict.py) that Kaizen runs on the holdout',
      );
    }
    return;
  }
  if (evaluation.entryPoint !== undefined) {
    for (const field of ['sourceDir', 'image'] as const) {
      if (evaluation[field] === undefined) {
        issue(['evaluation', field], 'required with evaluation.entryPoint and the callback backend');
      }
    }
  }
}

export type ModelPolicy = z.infer<typeof ModelPolicySchema>;
/** A policy as written by people: defaults may be left out. */
export type ModelPolicyInput = z.input<typeof ModelPolicySchema>;
export type KpiRule = z.infer<typeof KpiRuleSchema>;
export type KpiSource = z.infer<typeof KpiSourceSchema>;
export type DriftRule = z.infer<typeof DriftRuleSchema>;

/** Formats a zod issue path as `kpis[0].floor`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${key}]`;
    return text === '' ? String(key) : `${text}.${String(key)}`;
  }, '');
}

/** Formats zod issues one per line, each naming its field. */
export function formatIssues(error: z.core.$ZodError): string[] {
  return error.issues.map((issue) => `${formatPath(issue.path) || '(root)'}: ${issue.message}`);
}

/** Validates a policy document and fills in defaults; throws {@link PolicyError} naming each bad field. */
export function parsePolicy(input: unknown, source = 'policy'): ModelPolicy {
  // `$schema` only points editors at the JSON Schema; it is not part of the policy.
  const document =
    input !== null && typeof input === 'object' && '$schema' in input
      ? Object.fromEntries(Object.entries(input).filter(([key]) => key !== '$schema'))
      : input;
  const result = ModelPolicySchema.safeParse(document);
  if (!result.success) {
    const issues = formatIssues(result.error);
    throw new PolicyError(`${source} is invalid:\n  ${issues.join('\n  ')}`, issues);
  }
  return result.data;
}

/** The built-in trainer's section of a policy; a {@link PolicyError} for the other backends. */
export function builtinTraining(policy: Pick<ModelPolicy, 'modelId' | 'training'>): BuiltinTraining {
  if (policy.training.backend !== 'builtin') {
    const problem = `model ${policy.modelId} trains with the ${policy.training.backend} backend, not the built-in trainer`;
    throw new PolicyError(problem, [problem]);
  }
  return policy.training;
}

/** The holdout's label column: `evaluation.label`, else the built-in trainer's label. */
export function evaluationLabel(policy: Pick<ModelPolicy, 'modelId' | 'training' | 'evaluation'>): string {
  return policy.evaluation.label ?? builtinTraining(policy).label;
}

/** The threshold a feature's drift score is held to. */
export function driftThreshold(rule: DriftRule, feature: string): number {
  return rule.features[feature] ?? rule.maxScore;
}
