import { Counter, Histogram, Registry } from 'prom-client';

/**
 * The processor's Prometheus metrics, in their own registry: the processor runs on its own thread
 * (`ProcessorThread`), and `/metrics` shows this registry beside the app's.
 */
export class PipelineMetrics {
  readonly registry = new Registry();

  readonly stageOutcomes = new Counter({
    name: 'quanta_pipeline_stage_outcomes_total',
    help: 'Pipeline stage outcomes by stage and kind (ok, drop, block, retry, error).',
    labelNames: ['stage', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly refusedAttributes = new Counter({
    name: 'quanta_user_attributes_refused_total',
    help: 'User attributes not stored on a profile because they break a documented limit.',
    registers: [this.registry],
  });

  readonly planViolations = new Counter({
    name: 'quanta_data_plan_violations_total',
    help: 'Data plan violations found by the data-plan stage, by validation error type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly processingLag = new Histogram({
    name: 'quanta_processing_lag_seconds',
    help: 'Seconds from accepting a batch (202) to its events being durable in the event store.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20, 30, 60, 120],
    registers: [this.registry],
  });
}
