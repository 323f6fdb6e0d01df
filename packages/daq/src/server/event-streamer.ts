/**
 * Feeds one stream client (SSE or WebSocket) from the CSC's event log.
 *
 * The log is the buffer: a client holds only a cursor (the last sequence number sent) and whatever its transport
 * has queued, and sending pauses whenever the transport says its buffer is full. So a slow client costs bounded
 * memory no matter how far it lags; when its cursor drops out of the log's retained window, events it has not
 * received are gone, and it is told it fell behind and disconnected (it may reconnect and resume from what it has).
 */
import type { EventLog } from '../event-log.js';
import type { AnyDaqEvent } from '../event-types.js';

export type StreamMessage =
  | { kind: 'event'; event: AnyDaqEvent }
  /** Events from..to are not available (dropped from the buffer, or from an earlier run of the server). */
  | { kind: 'gap'; from: number; to: number; reason: string }
  /** The client lagged past the retained window; the stream ends after this. */
  | { kind: 'fellBehind'; lastSent: number; firstHeld: number; lastSeq: number };

export interface StreamSink {
  /** Queue one message; false when the transport's buffer is full and `drained()` should be awaited. */
  send(message: StreamMessage): boolean;
  drained(): Promise<void>;
  end(): void;
  /** Server shutdown: drop the connection now. */
  destroy(): void;
  readonly closed: boolean;
}

const BATCH = 256;

export class EventStreamer {
  private cursor: number;
  private pumping = false;
  private unsubscribe: (() => void) | undefined;
  private finished = false;

  constructor(
    private readonly log: EventLog,
    private readonly sink: StreamSink,
    opts: { since?: number; names?: ReadonlySet<string> },
  ) {
    this.names = opts.names;
    const since = opts.since;
    if (since === undefined) {
      this.cursor = log.lastSeq;
      this.pending = undefined;
    } else if (since > log.lastSeq) {
      // A sequence number from an earlier run: numbering restarted with the server.
      this.cursor = log.firstSeq - 1;
      this.pending = { kind: 'gap', from: 1, to: log.firstSeq - 1, reason: `sequence ${since} is from an earlier run of the server; numbering restarted at 1` };
    } else if (since + 1 < log.firstSeq) {
      this.cursor = log.firstSeq - 1;
      this.pending = { kind: 'gap', from: since + 1, to: log.firstSeq - 1, reason: 'events no longer held by the server' };
    } else {
      this.cursor = since;
      this.pending = undefined;
    }
  }

  private readonly names: ReadonlySet<string> | undefined;
  private pending: StreamMessage | undefined;

  start(): void {
    if (this.pending) this.sink.send(this.pending);
    this.unsubscribe = this.log.subscribe(() => void this.pump());
    void this.pump();
  }

  stop(): void {
    this.finished = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.finished) return;
    this.pumping = true;
    try {
      while (!this.finished && !this.sink.closed && this.log.lastSeq > this.cursor) {
        if (this.cursor + 1 < this.log.firstSeq) {
          this.sink.send({ kind: 'fellBehind', lastSent: this.cursor, firstHeld: this.log.firstSeq, lastSeq: this.log.lastSeq });
          this.stop();
          this.sink.end();
          return;
        }
        for (const e of this.log.after(this.cursor, BATCH)) {
          this.cursor = e.seq;
          if (this.names && !this.names.has(e.name)) continue;
          if (!this.sink.send({ kind: 'event', event: e })) {
            await this.sink.drained();
            if (this.sink.closed || this.finished) return;
            // Events may have been dropped from the log while we waited; re-check the window.
            break;
          }
        }
      }
    } finally {
      this.pumping = false;
    }
    // An event published after the loop's last check but before `pumping` was cleared found the pump busy.
    if (!this.finished && !this.sink.closed && this.log.lastSeq > this.cursor) void this.pump();
  }
}
