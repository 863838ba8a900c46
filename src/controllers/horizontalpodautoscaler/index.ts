/** The HorizontalPodAutoscaler controller and its pure parts (replica calculator, normalization). */
export { HorizontalPodAutoscalerController, HPA_DEFAULTS, HPAS, type HpaOptions } from './controller.js';
export { resourceReplicas, plainReplicas, groupPods, type PodMetric, type CalculatorOptions } from './replica-calculator.js';
export { normalize, normalizeWithBehavior, recordScaleEvent, HpaMemory } from './normalize.js';
