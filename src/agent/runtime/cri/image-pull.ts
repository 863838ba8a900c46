/**
 * Images for a container as its imagePullPolicy asks, through the CRI ImageService:
 * Never uses only what is there (ErrImageNeverPull), IfNotPresent pulls when missing,
 * Always pulls every time. Credentials from imagePullSecrets are tried for the image's
 * registry; a failed pull is an ImagePullError (the pod shows ErrImagePull, then
 * ImagePullBackOff), with the kubelet's messages.
 */
import { ImagePullError, type ContainerConfig } from '../types.js';
import { authsForImage } from '../../pull-secrets.js';
import { CriError, type CriClient } from './client.js';

const INVALID_ARGUMENT = 3;

// The docker reference grammar: [host[:port]/]path[:tag][@digest], path components lowercase.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const HOST = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)';
const REFERENCE = new RegExp(`^${HOST}?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,})?$`);

/** Whether an image reference parses (the kubelet reports InvalidImageName otherwise). */
export function validImageReference(image: string): boolean {
  return image.length > 0 && image.length <= 255 + 128 && REFERENCE.test(image);
}

export async function ensureImage(cri: CriClient, cfg: ContainerConfig, sandboxConfig: any): Promise<void> {
  const began = Date.now();
  if (!validImageReference(cfg.image)) throw new ImagePullError(`Failed to apply default image tag "${cfg.image}": couldn't parse image name "${cfg.image}": invalid reference format`, 'InvalidImageName');
  const policy = cfg.imagePullPolicy ?? 'IfNotPresent';
  if (policy !== 'Always') {
    let present: boolean;
    try {
      present = !!(await cri.image.ImageStatus({ image: { image: cfg.image } })).image;
    } catch (err) {
      // A reference containerd cannot parse: the kubelet reports InvalidImageName.
      if (err instanceof CriError && err.code === INVALID_ARGUMENT) throw new ImagePullError(`Failed to apply default image tag "${cfg.image}": ${err.details}`, 'InvalidImageName');
      throw err;
    }
    if (present) {
      cfg.onImage?.({ kind: 'present' });
      return;
    }
  }
  if (policy === 'Never') throw new ImagePullError(`Container image "${cfg.image}" is not present with pull policy of Never`, 'ErrImageNeverPull');
  cfg.onImage?.({ kind: 'pulling' });
  const matching = authsForImage(cfg.image, cfg.pullAuth);
  let last: unknown;
  for (const a of matching.length ? matching : [undefined]) {
    try {
      const pullStart = Date.now();
      await cri.image.PullImage({
        image: { image: cfg.image },
        // containerd 1.6 wants a URL as server_address: left empty, as only credentials
        // for this image's registry get here.
        auth: a ? { username: a.username ?? '', password: a.password ?? '', auth: a.auth ?? '' } : undefined,
        sandboxConfig,
      });
      if (cfg.onImage) {
        const pullMs = Date.now() - pullStart;
        const size = await cri.image
          .ImageStatus({ image: { image: cfg.image } })
          .then((r: any) => (r.image?.size !== undefined ? Number(r.image.size) : undefined))
          .catch(() => undefined);
        cfg.onImage({ kind: 'pulled', pullMs, totalMs: Date.now() - began, size });
      }
      return;
    } catch (err) {
      last = err;
    }
  }
  throw new ImagePullError(`Failed to pull image "${cfg.image}": ${last instanceof CriError ? last.details : String(last)}`);
}
