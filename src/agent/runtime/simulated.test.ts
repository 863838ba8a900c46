import { runtimeConformance } from './conformance.js';
import { SimulatedRuntime } from './simulated.js';

runtimeConformance({ name: 'simulated', podCidr: '10.42.7.0/24', image: 'busybox', make: async () => new SimulatedRuntime({ podCidr: '10.42.7.0/24' }) });
