/** NodeName: a pod that names a node (spec.nodeName) fits only there. */
import { Status, unresolvable, type FilterPlugin } from '../framework/types.js';

export const NAME = 'NodeName';

export function create(): FilterPlugin {
  return {
    name: NAME,
    filter(_s, pod, ni) {
      const want = pod.spec?.nodeName;
      return !want || want === ni.name ? Status.success() : unresolvable("node(s) didn't match the requested node name");
    },
  };
}
