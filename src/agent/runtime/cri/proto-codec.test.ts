import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { protoFile, protoPath } from './client.js';
import { decode, encode, parseProto } from './proto-codec.js';

// protobufjs (a dev dependency through @grpc/proto-loader) is the reference: what skiff's
// codec writes must read back the same there, and the other way round.
const ref = protobuf.loadSync(protoPath()).lookup('runtime.v1') as protobuf.Namespace;
const toObject = { longs: String, enums: String, defaults: true, bytes: Buffer } as const;
const file = protoFile();

function viaReference(type: string, obj: any): any {
  const T = ref.lookupType(type);
  return T.toObject(T.decode(encode(file, type, obj)), toObject);
}

function fromReference(type: string, obj: any): any {
  const T = ref.lookupType(type);
  return decode(file, type, Buffer.from(T.encode(T.fromObject(obj)).finish()));
}

const createRequest = {
  podSandboxId: 'sb1',
  config: {
    metadata: { name: 'app', attempt: 3 },
    image: { image: 'skiff.local/busybox:latest' },
    command: ['sh', '-c'],
    args: ['echo héllo'],
    envs: [{ key: 'A', value: '1' }],
    mounts: [{ containerPath: '/data', hostPath: '/var/x', readonly: true }],
    labels: { 'io.kubernetes.pod.name': 'p', empty: '' },
    annotations: { restart: '3' },
    logPath: 'app/3.log',
    stdin: true,
    linux: {
      // Negative int64 (a Guaranteed pod's OOM score) and packed repeated int64.
      resources: { cpuShares: '2', cpuQuota: '0', cpuPeriod: '100000', memoryLimitInBytes: '67108864', oomScoreAdj: '-997' },
      securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' }, runAsUser: { value: '1000' }, supplementalGroups: ['5', '6'], noNewPrivs: true },
    },
  },
  sandboxConfig: { metadata: { name: 'p', uid: 'u', namespace: 'default', attempt: 0 }, dnsConfig: { servers: ['10.43.0.10'], searches: [], options: ['ndots:5'] }, portMappings: [{ protocol: 'UDP', containerPort: 53, hostPort: 5353, hostIp: '' }] },
};

describe('CRI proto codec', () => {
  it('parses every message, enum and rpc of api.proto', () => {
    assert.ok(file.messages.size > 50);
    assert.equal(file.pkg, 'runtime.v1');
    assert.deepEqual(file.enums.get('ContainerState')!.names.get(2), 'CONTAINER_EXITED');
    assert.deepEqual(
      file.services.get('ImageService')!.map((r) => r.name),
      ['ListImages', 'ImageStatus', 'PullImage', 'RemoveImage'],
    );
    for (const [name, fields] of file.messages) {
      const T = ref.lookupType(name);
      assert.deepEqual(fields.map((f) => [f.name, f.no, !!f.repeated || f.map]), T.fieldsArray.map((f) => [f.name, f.id, f.repeated || f.map]), name);
    }
  });

  it('writes what protobufjs reads back unchanged (ints, negative int64, enums, maps, packed repeats, nesting)', () => {
    const got = viaReference('CreateContainerRequest', createRequest);
    assert.equal(got.config.linux.resources.oomScoreAdj, '-997');
    assert.deepEqual(got.config.linux.securityContext.supplementalGroups, ['5', '6']);
    assert.equal(got.config.linux.securityContext.namespaceOptions.pid, 'CONTAINER');
    assert.deepEqual(got.config.labels, { 'io.kubernetes.pod.name': 'p', empty: '' });
    assert.equal(got.config.args[0], 'echo héllo');
    assert.equal(got.sandboxConfig.portMappings[0].protocol, 'UDP');
    // And reads back what it wrote into the same object protobufjs produced.
    assert.deepEqual(decode(file, 'CreateContainerRequest', encode(file, 'CreateContainerRequest', createRequest)), got);
  });

  it('reads what protobufjs writes, defaults filled as @grpc/proto-loader does', () => {
    const status = {
      status: { id: 'c1', metadata: { name: 'app', attempt: 1 }, state: 'CONTAINER_EXITED', createdAt: '1764518400123456789', exitCode: -1, reason: 'OOMKilled', labels: { a: 'b' }, mounts: [] },
      info: {},
    };
    const got = fromReference('ContainerStatusResponse', status);
    assert.equal(got.status.createdAt, '1764518400123456789');
    assert.equal(got.status.exitCode, -1);
    assert.equal(got.status.state, 'CONTAINER_EXITED');
    assert.equal(got.status.startedAt, '0');
    assert.equal(got.status.message, '');
    assert.equal(got.status.image, null);
    assert.deepEqual(got.status.annotations, {});
    // State 0 is never on the wire: it still reads as its enum name.
    assert.equal(fromReference('ContainerStatusResponse', { status: { id: 'c2', state: 'CONTAINER_CREATED' } }).status.state, 'CONTAINER_CREATED');
    const exec = fromReference('ExecSyncResponse', { stdout: Buffer.from('out\n'), stderr: Buffer.alloc(0), exitCode: 7 });
    assert.ok(Buffer.isBuffer(exec.stdout));
    assert.equal(exec.stdout.toString(), 'out\n');
    assert.equal(exec.exitCode, 7);
  });

  it('skips fields it does not know and refuses a truncated message', () => {
    const withExtra = Buffer.concat([encode(file, 'VersionResponse', { version: '0.1.0', runtimeName: 'containerd' }), Buffer.from([0xf8, 0x07, 0x05, 0xfa, 0x07, 0x01, 0x41])]);
    assert.deepEqual(decode(file, 'VersionResponse', withExtra), { version: '0.1.0', runtimeName: 'containerd', runtimeVersion: '', runtimeApiVersion: '' });
    const whole = encode(file, 'VersionResponse', { version: '0.1.0' });
    assert.throws(() => decode(file, 'VersionResponse', whole.subarray(0, whole.length - 1)));
  });

  it('rejects a field of a type the file does not define', () => {
    assert.throws(() => parseProto('syntax = "proto3"; message A { Missing m = 1; }'), /unknown type Missing/);
  });
});
