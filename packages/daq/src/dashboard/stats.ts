/**
 * What one emulator's store and notifications have done since the server started, for the dashboard: totals
 * (images, files, bytes, missing files; the dispatcher's counters) and, per recent image, when its files were
 * reported and when its notifications went out. The event stream has the files (fileTransferPerImageSummary) but no
 * event per delivered notification, so deliveries are counted here from the dispatcher.
 */
import type { DaqEmulator } from '../emulator.js';
import type { AnyDaqEvent } from '../event-types.js';

export interface ImageActivity {
  obsId: string;
  expected: number;
  written: number;
  bytes: number;
  /** fileTransferPerImageSummary sent [TAI unix s]. */
  filesAt: number | null;
  /** FITS-file notifications delivered (summed over targets) and given up on. */
  notified: number;
  notifyFailed: number;
  firstNotifiedAt: number | null;
  lastNotifiedAt: number | null;
}

export interface ActivitySnapshot {
  csc: string;
  store: { images: number; files: number; bytes: number; missing: number };
  notifications: ReturnType<DaqEmulator['dispatcher']['stats']>;
  /** Most recent last. */
  images: ImageActivity[];
}

/** Images remembered for their per-image timing. */
const KEEP = 64;

/** `{instrument}/{day_obs}/{obs_id}/{obs_id}_{det}.fits[.fz]` -> obs_id; undefined for sidecars and other keys. */
export function obsIdOfKey(key: string): string | undefined {
  const parts = key.split('/');
  return parts.length === 4 && /\.fits(\.fz)?$/.test(parts[3]!) ? parts[2] : undefined;
}

export class ActivityStats {
  private readonly totals = { images: 0, files: 0, bytes: 0, missing: 0 };
  private readonly images = new Map<string, ImageActivity>();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly em: DaqEmulator) {
    this.unsubscribe.push(em.events.subscribe((e) => this.onEvent(e)));
    this.unsubscribe.push(
      em.dispatcher.onDelivery((_target, n) => {
        const key = n.Records[0]?.s3.object.key;
        const obsId = key === undefined ? undefined : obsIdOfKey(key);
        if (obsId === undefined) return;
        const r = this.image(obsId);
        const now = this.em.clock.now() / 1000;
        r.notified++;
        r.firstNotifiedAt ??= now;
        r.lastNotifiedAt = now;
      }),
    );
  }

  close(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  snapshot(): ActivitySnapshot {
    return {
      csc: this.em.profile.csc,
      store: { ...this.totals },
      notifications: this.em.dispatcher.stats(),
      images: [...this.images.values()].map((r) => ({ ...r })),
    };
  }

  private image(obsId: string): ImageActivity {
    let r = this.images.get(obsId);
    if (!r) {
      r = { obsId, expected: 0, written: 0, bytes: 0, filesAt: null, notified: 0, notifyFailed: 0, firstNotifiedAt: null, lastNotifiedAt: null };
      this.images.set(obsId, r);
      if (this.images.size > KEEP) this.images.delete(this.images.keys().next().value!);
    }
    return r;
  }

  private onEvent(e: AnyDaqEvent): void {
    if (e.name === 'fileTransferPerImageSummary') {
      const d = e.data;
      let bytes = 0;
      try {
        bytes = Number((JSON.parse(d.metaData) as { bytes?: unknown }).bytes) || 0;
      } catch {
        // metaData is ours and always JSON; a foreign one just leaves the byte count alone.
      }
      Object.assign(this.image(d.obsId), { expected: d.expected, written: d.written, bytes, filesAt: d.private_sndStamp });
      this.totals.images++;
      this.totals.files += d.written;
      this.totals.bytes += bytes;
      this.totals.missing += d.missingAfterResend;
    } else if (e.name === 'notificationFailed') {
      const obsId = obsIdOfKey(e.data.key);
      if (obsId !== undefined) this.image(obsId).notifyFailed++;
    }
  }
}
