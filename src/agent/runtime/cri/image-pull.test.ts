import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validImageReference } from './image-pull.js';

describe('image references', () => {
  it('accepts what the docker reference grammar accepts', () => {
    for (const r of ['busybox', 'busybox:1.36', 'library/busybox:latest', 'skiff.local/busybox:latest', '127.0.0.1:5000/team/app:2.0', 'localhost/a_b/c-d:v1.2_3', `x@sha256:${'a'.repeat(64)}`, 'registry.k8s.io/pause:3.9'])
      assert.ok(validImageReference(r), r);
  });
  it('refuses upper case paths, empty names, bad tags and digests', () => {
    for (const r of ['', 'Bad/Image:X', 'a:b:c', 'busybox:', 'busybox:-x', 'x@sha256:zz', 'a//b', '-a'])
      assert.ok(!validImageReference(r), r);
  });
});
