/**
 * ImageLocality: prefers nodes that already hold the pod's images (node.status.images),
 * weighting each image's size by how widely it is spread (so one node with a popular
 * image does not attract everything), clamped between 23 MB and 1000 MB per container.
 */
import { MAX_NODE_SCORE, type PluginHandle, type ScorePlugin } from '../framework/types.js';

export const NAME = 'ImageLocality';
const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

function normalizeImage(name: string): string {
  let n = name;
  if (!n.includes('/')) n = `docker.io/library/${n}`;
  else if (!/^[^/]*[.:]/.test(n) && n.split('/')[0] !== 'localhost') n = `docker.io/${n}`;
  if (!/:[^/]+$/.test(n) && !n.includes('@')) n += ':latest';
  return n;
}

export function create(_args: unknown, h: PluginHandle): ScorePlugin {
  return {
    name: NAME,
    score(state, pod, ni) {
      // Nodes that report no images (hollow nodes, fresh nodes) score the minimum at once.
      if (!ni.node.status?.images?.length) return { score: 0 };
      const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
      let spread = state.read<Map<string, number>>('ImageLocality');
      if (!spread) {
        spread = new Map();
        const all = h.nodes();
        const want = new Set(containers.map((c: any) => normalizeImage(c.image ?? '')));
        for (const n of all) for (const img of n.node.status?.images ?? []) for (const name of img.names ?? []) if (want.has(normalizeImage(name))) spread.set(normalizeImage(name), (spread.get(normalizeImage(name)) ?? 0) + 1);
        state.write('ImageLocality', spread);
      }
      const total = Math.max(1, h.nodes().length);
      let sum = 0;
      const sizes = new Map<string, number>();
      for (const img of ni.node.status?.images ?? []) for (const name of img.names ?? []) sizes.set(normalizeImage(name), img.sizeBytes ?? 0);
      for (const c of containers) {
        const n = normalizeImage(c.image ?? '');
        const size = sizes.get(n);
        if (size !== undefined) sum += size * ((spread.get(n) ?? 0) / total);
      }
      const max = MAX_CONTAINER_THRESHOLD * Math.max(1, containers.length);
      const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), max);
      return { score: Math.floor((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (max - MIN_THRESHOLD)) };
    },
  };
}
