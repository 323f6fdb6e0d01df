/**
 * The event stream of one CSC: numbers each published event, keeps the most recent ones so a reconnecting client
 * can resume from a sequence number, remembers the last value of every topic, and fans out to subscribers.
 */
import type { Clock } from './clock.js';
import type { AnyDaqEvent, DaqEvent, EventFieldMap, EventName } from './event-types.js';

export type EventListener = (event: AnyDaqEvent) => void;

export interface ReplayResult {
  events: AnyDaqEvent[];
  /** True when events after the requested sequence number were already dropped from the buffer. */
  gap: boolean;
}

export class EventLog {
  private buffer: AnyDaqEvent[] = [];
  private seq = 0;
  private readonly topicCounters = new Map<EventName, number>();
  private readonly latestByName = new Map<EventName, AnyDaqEvent>();
  private readonly listeners = new Set<EventListener>();

  constructor(
    private readonly clock: Clock,
    readonly identity: string,
    /** Events kept for resuming clients. */
    readonly capacity = 20_000,
  ) {}

  publish<N extends EventName>(name: N, fields: EventFieldMap[N]): DaqEvent<N> {
    const topicSeq = (this.topicCounters.get(name) ?? 0) + 1;
    this.topicCounters.set(name, topicSeq);
    const event = {
      seq: ++this.seq,
      name,
      data: {
        ...fields,
        private_sndStamp: this.clock.now() / 1000,
        private_seqNum: topicSeq,
        private_identity: this.identity,
        private_origin: process.pid,
      },
    } as DaqEvent<N>;
    const any = event as unknown as AnyDaqEvent;
    this.buffer.push(any);
    // Trim in batches so publishing stays O(1) amortized.
    if (this.buffer.length > this.capacity + Math.max(64, this.capacity >> 3)) {
      this.buffer.splice(0, this.buffer.length - this.capacity);
    }
    this.latestByName.set(name, any);
    for (const l of [...this.listeners]) {
      try {
        l(any);
      } catch {
        // A failing listener (a client that went away) must not stop the CSC or the other listeners.
      }
    }
    return event;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** The oldest sequence number still held (lastSeq + 1 when empty). */
  get firstSeq(): number {
    return this.buffer[0]?.seq ?? this.seq + 1;
  }

  /**
   * Events with a sequence number above `after`. A number above lastSeq comes from an earlier run of the server
   * (sequence numbers restart with it): the client gets everything held, flagged as a gap.
   */
  replay(after: number): ReplayResult {
    if (after > this.seq) return { events: [...this.buffer], gap: true };
    const first = this.firstSeq;
    const gap = after + 1 < first && this.seq >= first;
    const start = Math.max(0, after + 1 - first);
    return { events: this.buffer.slice(start), gap };
  }

  /** Up to `limit` held events with a sequence number above `after` (cheap: no copy of the whole buffer). */
  after(after: number, limit: number): AnyDaqEvent[] {
    const start = Math.max(0, after + 1 - this.firstSeq);
    return this.buffer.slice(start, start + limit);
  }

  latest<N extends EventName>(name: N): DaqEvent<N> | undefined {
    return this.latestByName.get(name) as DaqEvent<N> | undefined;
  }

  /** The last event of every topic published so far. */
  latestAll(): AnyDaqEvent[] {
    return [...this.latestByName.values()].sort((a, b) => a.seq - b.seq);
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }
}
