import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authsForImage, pullAuthFromSecrets, registryOf } from './pull-secrets.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('imagePullSecrets', () => {
  it('finds the registry host of an image as the kubelet keyring does', () => {
    assert.equal(registryOf('busybox'), 'docker.io');
    assert.equal(registryOf('library/busybox:1.36'), 'docker.io');
    assert.equal(registryOf('ghcr.io/org/app:1'), 'ghcr.io');
    assert.equal(registryOf('127.0.0.1:5000/app'), '127.0.0.1:5000');
    assert.equal(registryOf('localhost/app'), 'localhost');
  });
  it('reads dockerconfigjson and dockercfg Secrets, splitting auth into user and password', () => {
    const json = { data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: b64('u1:p:w') }, '127.0.0.1:5000': { username: 'u2', password: 'p2' } } })) } };
    const cfg = { data: { '.dockercfg': b64(JSON.stringify({ 'ghcr.io': { username: 'u3', password: 'p3' } })) } };
    const auths = pullAuthFromSecrets([json, cfg, { data: {} }, { data: { '.dockerconfigjson': b64('not json') } }]);
    assert.deepEqual(
      auths.map((a) => [a.server, a.username, a.password]),
      [
        ['docker.io', 'u1', 'p:w'],
        ['127.0.0.1:5000', 'u2', 'p2'],
        ['ghcr.io', 'u3', 'p3'],
      ],
    );
    assert.deepEqual(authsForImage('127.0.0.1:5000/team/app:1', auths).map((a) => a.username), ['u2']);
    assert.deepEqual(authsForImage('busybox', auths).map((a) => a.username), ['u1']);
    assert.deepEqual(authsForImage('quay.io/x', auths), []);
  });
});
