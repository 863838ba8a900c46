/** NodePorts: a pod's hostPorts must be free on the node (0.0.0.0 conflicts with every IP). */
import { Status, skip, unschedulable, type FilterPlugin, type PreFilterPlugin } from '../framework/types.js';
import { podInfo } from '../framework/node-info.js';

export const NAME = 'NodePorts';

export function create(): PreFilterPlugin & FilterPlugin {
  return {
    name: NAME,
    preFilter(state, pod) {
      const ports = podInfo(pod).ports;
      if (!ports.length) return { status: skip() };
      state.write('NodePorts', ports);
      return { status: Status.success() };
    },
    filter(state, pod, ni) {
      let wanted = state.read<string[]>('NodePorts');
      if (!wanted) state.write('NodePorts', (wanted = podInfo(pod).ports));
      for (const w of wanted) {
        const [proto, ip, port] = w.split('/');
        for (const used of ni.usedPorts.keys()) {
          const [uproto, uip, uport] = used.split('/');
          if (uproto === proto && uport === port && (ip === '0.0.0.0' || uip === '0.0.0.0' || ip === uip)) return unschedulable("node(s) didn't have free ports for the requested pod ports");
        }
      }
      return Status.success();
    },
  };
}
