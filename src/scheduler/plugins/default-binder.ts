/** DefaultBinder: binds through the pods/binding subresource, as kube-scheduler does. */
import { errorStatus, Status, type BindPlugin } from '../framework/types.js';

export const NAME = 'DefaultBinder';

export interface BinderHandle {
  bind(pod: any, nodeName: string): Promise<void>;
}

export function create(_args: unknown, h: BinderHandle): BindPlugin {
  return {
    name: NAME,
    async bind(_s, pod, nodeName) {
      try {
        await h.bind(pod, nodeName);
        return Status.success();
      } catch (err) {
        return errorStatus(`binding rejected: ${(err as Error).message}`);
      }
    },
  };
}
