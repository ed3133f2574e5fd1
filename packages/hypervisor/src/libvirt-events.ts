import type { HypervisorEvent } from '@ballast/domain';
import { lifecycleEventName, type LibvirtEvent } from '@ballast/libvirt';

/** A binding event in the model's terms (lifecycle event numbers become names such as 'stopped'). */
export function toHypervisorEvent(event: LibvirtEvent): HypervisorEvent {
  switch (event.type) {
    case 'lifecycle':
      return {
        kind: 'lifecycle',
        uuid: event.uuid,
        name: event.name,
        event: lifecycleEventName(event.event),
        detail: event.detail,
      };
    case 'tunable':
      return { kind: 'tunable', uuid: event.uuid, name: event.name, params: event.params };
    case 'balloon-change':
      return { kind: 'balloon-change', uuid: event.uuid, name: event.name, actualKiB: event.actualKiB };
    case 'metadata-change':
      return { kind: 'metadata-change', uuid: event.uuid, name: event.name, ...(event.nsUri !== null ? { nsUri: event.nsUri } : {}) };
    case 'connection-lost':
      return { kind: 'connection-lost', reason: event.reason };
  }
}
