import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aggregatedRules } from './controller.js';

const cr = (name: string, labels: Record<string, string>, rules: any[], aggregationRule?: any) => Object.freeze({ metadata: { name, labels }, rules, aggregationRule });

describe('clusterrole aggregation', () => {
  it('unites the rules of the matching ClusterRoles in name order, without repeats or itself', () => {
    const a = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
    const b = { verbs: ['list'], apiGroups: ['apps'], resources: ['deployments'] };
    const view = cr('view', { 'agg-edit': 'true' }, [{ verbs: ['old'], apiGroups: [''], resources: ['x'] }], { clusterRoleSelectors: [{ matchLabels: { 'agg-view': 'true' } }] });
    const all = [view, cr('z-extra', { 'agg-view': 'true' }, [a]), cr('a-base', { 'agg-view': 'true' }, [b, a]), cr('other', {}, [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }])];
    assert.deepEqual(aggregatedRules(view, all), [b, a]);
    // Two selectors: the union of both.
    const two = cr('two', {}, [], { clusterRoleSelectors: [{ matchLabels: { 'agg-view': 'true' } }, { matchLabels: { 'agg-edit': 'true' } }] });
    assert.deepEqual(aggregatedRules(two, [...all, two]), [b, a, { verbs: ['old'], apiGroups: [''], resources: ['x'] }]);
  });
});
