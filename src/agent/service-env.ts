/**
 * The Service environment variables the kubelet injects (pkg/kubelet/envvars): for each
 * Service with a cluster IP in the pod's namespace (unless enableServiceLinks is false)
 * and always for the `kubernetes` Service of the default namespace:
 *   <NAME>_SERVICE_HOST, <NAME>_SERVICE_PORT, <NAME>_SERVICE_PORT_<PORTNAME>, and the
 *   Docker link variables <NAME>_PORT, <NAME>_PORT_<port>_<PROTO>{,_PROTO,_PORT,_ADDR}.
 */

const MASTER_NAMESPACE = 'default';
const MASTER_SERVICES = new Set(['kubernetes']);

const envName = (s: string) => s.toUpperCase().replace(/-/g, '_');
const hasClusterIP = (svc: any) => !!svc.spec?.clusterIP && svc.spec.clusterIP !== 'None';

/** The variables for a list of services, in order (envvars.FromServices). */
export function fromServices(services: any[]): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const svc of services) {
    if (!hasClusterIP(svc)) continue;
    const prefix = envName(svc.metadata.name);
    const ip: string = svc.spec.clusterIP;
    const ports: any[] = svc.spec.ports ?? [];
    out.push({ name: `${prefix}_SERVICE_HOST`, value: ip });
    if (ports.length) out.push({ name: `${prefix}_SERVICE_PORT`, value: String(ports[0].port) });
    for (const p of ports) if (p.name) out.push({ name: `${prefix}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) });
    ports.forEach((p, i) => {
      const proto = (p.protocol ?? 'TCP').toLowerCase();
      const url = `${proto}://${ip.includes(':') ? `[${ip}]` : ip}:${p.port}`; // net.JoinHostPort
      if (i === 0) out.push({ name: `${prefix}_PORT`, value: url }); // Docker special-cases the first port
      const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.push({ name: pp, value: url }, { name: `${pp}_PROTO`, value: proto }, { name: `${pp}_PORT`, value: String(p.port) }, { name: `${pp}_ADDR`, value: ip });
    });
  }
  return out;
}

/**
 * The service variables of a pod (kubelet getServiceEnvVarMap). `nsServices` are the
 * Services of the pod's namespace, `masterServices` those of `default`.
 */
export function serviceEnvFor(podNamespace: string, enableServiceLinks: boolean, nsServices: any[], masterServices: any[]): Map<string, string> {
  const chosen = new Map<string, any>();
  for (const svc of masterServices) {
    if (hasClusterIP(svc) && svc.metadata?.namespace === MASTER_NAMESPACE && MASTER_SERVICES.has(svc.metadata.name)) chosen.set(svc.metadata.name, svc);
  }
  // A Service of the pod's own namespace wins over the master service of the same name.
  if (enableServiceLinks) for (const svc of nsServices) if (hasClusterIP(svc) && svc.metadata?.namespace === podNamespace) chosen.set(svc.metadata.name, svc);
  const sorted = [...chosen.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  return new Map(fromServices(sorted).map((e) => [e.name, e.value]));
}
