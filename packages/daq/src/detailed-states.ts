/**
 * The CSC's detailed states. Each change is published once as its ts_xml `...DetailedState` event (with the
 * transition time); setting the current value again publishes nothing.
 */
import type { EventLog } from './event-log.js';
import {
  CalibrationDetailedState,
  CCSCommandState,
  FilterChangerDetailedState,
  ImageReadinessDetailedState,
  OfflineDetailedState,
  RaftsDetailedState,
  ShutterDetailedState,
} from './enums.js';

const TOPICS = {
  offline: { event: 'offlineDetailedState', names: OfflineDetailedState },
  imageReadiness: { event: 'imageReadinessDetailedState', names: ImageReadinessDetailedState },
  calibration: { event: 'calibrationDetailedState', names: CalibrationDetailedState },
  shutter: { event: 'shutterDetailedState', names: ShutterDetailedState },
  rafts: { event: 'raftsDetailedState', names: RaftsDetailedState },
  ccsCommand: { event: 'ccsCommandState', names: CCSCommandState },
  filterChanger: { event: 'filterChangerDetailedState', names: FilterChangerDetailedState },
} as const;

export type DetailedTopic = keyof typeof TOPICS;
type NamesOf<T extends DetailedTopic> = keyof (typeof TOPICS)[T]['names'];

export class DetailedStates {
  private readonly values = new Map<DetailedTopic, number>();

  constructor(
    private readonly events: EventLog,
    /** Topics this CSC publishes (no filterChanger on ATCamera). */
    private readonly topics: readonly DetailedTopic[],
  ) {}

  /** Set a state by name; publishes when it changed (or `force`). `at` is the TAI ms of the transition. */
  set<T extends DetailedTopic>(topic: T, name: NamesOf<T>, at: number, force = false): void {
    if (!this.topics.includes(topic)) return;
    const value = (TOPICS[topic].names as Record<string, number>)[name as string]!;
    if (!force && this.values.get(topic) === value) return;
    this.values.set(topic, value);
    this.events.publish(TOPICS[topic].event, { substate: value, timestampTransition: at / 1000 });
  }

  get<T extends DetailedTopic>(topic: T): NamesOf<T> | undefined {
    const v = this.values.get(topic);
    if (v === undefined) return undefined;
    const names = TOPICS[topic].names as Record<string, number>;
    return Object.keys(names).find((k) => names[k] === v) as NamesOf<T>;
  }

  is<T extends DetailedTopic>(topic: T, name: NamesOf<T>): boolean {
    return this.get(topic) === name;
  }

  snapshot(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const t of this.topics) {
      const n = this.get(t);
      if (n !== undefined) out[TOPICS[t].event] = String(n);
    }
    return out;
  }
}
