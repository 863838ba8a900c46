/** The Resource Metrics API (metrics.k8s.io) in the API server: scraping node agents, storing samples, serving NodeMetrics and PodMetrics. */
export { MetricsScraper, batchOf, type MetricsScraperOptions } from './scraper.js';
export { MetricsStorage, type Usage } from './storage.js';
export { serveMetrics } from './rest.js';
export { parsePrometheusText, decimalToNanos } from './prometheus-text.js';
