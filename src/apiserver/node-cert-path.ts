/**
 * Where an agent asks the server for its streaming serving certificate (node-certs.ts
 * serves it). A module of its own so that agents, which only call it, do not load the
 * certificate machinery (@peculiar/x509 costs an agent about 13 MB).
 */
export const NODE_SERVING_CERT_PATH = '/v1-skiff/serving-kubelet.crt';
