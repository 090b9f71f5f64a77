/**
 * Prometheus metrics (`GET /metrics`), on a registry of our own so tests can make many services
 * in one process.
 */
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics
} from 'prom-client';
import type { BuildEvents } from './builds/build-events.js';

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly buildsTotal: Counter<'outcome'>;
  readonly buildDuration: Histogram<'outcome'>;
  readonly activeStreams: Gauge;

  constructor(
    queueLength: () => number,
    runningBuilds: () => number,
    tokenCache: () => { hits: number; misses: number } | null = () => null
  ) {
    collectDefaultMetrics({
      register: this.registry,
      prefix: 'repo2docker_service_'
    });
    this.buildsTotal = new Counter({
      name: 'repo2docker_builds_total',
      help: 'Builds by outcome (built, failed, cancelled, already_built)',
      labelNames: ['outcome'],
      registers: [this.registry]
    });
    this.buildDuration = new Histogram({
      name: 'repo2docker_build_duration_seconds',
      help: 'Time from a build starting to its end, by outcome',
      labelNames: ['outcome'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
      registers: [this.registry]
    });
    new Gauge({
      name: 'repo2docker_build_queue_length',
      help: 'Builds waiting for a slot',
      registers: [this.registry],
      collect() {
        this.set(queueLength());
      }
    });
    new Gauge({
      name: 'repo2docker_builds_running',
      help: 'Builds running now',
      registers: [this.registry],
      collect() {
        this.set(runningBuilds());
      }
    });
    new Gauge({
      name: 'repo2docker_token_lookups',
      help: 'Token checks since start, answered from the cache (hit) or by the hub (miss)',
      labelNames: ['result'],
      registers: [this.registry],
      collect() {
        const stats = tokenCache();
        if (stats) {
          this.set({ result: 'hit' }, stats.hits);
          this.set({ result: 'miss' }, stats.misses);
        }
      }
    });
    this.activeStreams = new Gauge({
      name: 'repo2docker_log_streams_active',
      help: 'Clients streaming a build log now',
      registers: [this.registry]
    });
  }

  /** Count builds and their durations as the manager reports them ending. */
  subscribe(events: BuildEvents): () => void {
    return events.onEnded(({ outcome, seconds }) => {
      this.buildsTotal.inc({ outcome });
      if (seconds !== null) {
        this.buildDuration.observe({ outcome }, seconds);
      }
    });
  }
}
