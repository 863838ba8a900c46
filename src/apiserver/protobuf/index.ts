export { decodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE } from './decode.js';
