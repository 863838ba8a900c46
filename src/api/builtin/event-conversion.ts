/**
 * events.k8s.io/v1 Events are the core/v1 Events seen through another schema: upstream
 * stores one kind and converts, so an event recorded through either API is listed and
 * watched through both. The field mapping is upstream's (pkg/apis/events/v1 conversion):
 * involvedObject ↔ regarding, message ↔ note, source ↔ deprecatedSource,
 * reportingComponent ↔ reportingController, first/lastTimestamp and count ↔ their
 * deprecated* names; the rest keep their names.
 */
import type { StoredAs } from '../types.js';

const set = (o: any, k: string, v: unknown) => {
  if (v !== undefined && v !== null && v !== '') o[k] = v;
};

/** events.k8s.io/v1 → core/v1. */
export function eventToCore(e: any): any {
  const out: any = { apiVersion: 'v1', kind: 'Event', metadata: e.metadata };
  set(out, 'involvedObject', e.regarding);
  set(out, 'related', e.related);
  set(out, 'reason', e.reason);
  set(out, 'message', e.note);
  set(out, 'type', e.type);
  set(out, 'action', e.action);
  set(out, 'eventTime', e.eventTime);
  set(out, 'series', e.series);
  set(out, 'reportingComponent', e.reportingController);
  set(out, 'reportingInstance', e.reportingInstance);
  set(out, 'source', e.deprecatedSource);
  set(out, 'firstTimestamp', e.deprecatedFirstTimestamp);
  set(out, 'lastTimestamp', e.deprecatedLastTimestamp);
  set(out, 'count', e.deprecatedCount);
  return out;
}

/** core/v1 → events.k8s.io/v1 (a new object: the stored one is shared by watches). */
export function eventFromCore(c: any): any {
  const out: any = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: c.metadata };
  // A core event always names its object; events.k8s.io requires eventTime, which old-style
  // events lack: upstream serves them with eventTime null (its MicroTime zero value).
  out.eventTime = c.eventTime ?? null;
  set(out, 'series', c.series);
  set(out, 'reportingController', c.reportingComponent);
  set(out, 'reportingInstance', c.reportingInstance);
  set(out, 'action', c.action);
  set(out, 'reason', c.reason);
  set(out, 'regarding', c.involvedObject);
  set(out, 'related', c.related);
  set(out, 'note', c.message);
  set(out, 'type', c.type);
  set(out, 'deprecatedSource', c.source);
  set(out, 'deprecatedFirstTimestamp', c.firstTimestamp);
  set(out, 'deprecatedLastTimestamp', c.lastTimestamp);
  set(out, 'deprecatedCount', c.count);
  return out;
}

export const eventsStoredAsCore: StoredAs = { group: '', plural: 'events', toStored: eventToCore, fromStored: eventFromCore };
