/** The summit-to-data-facility link emulator behind `daqsim transfer`. */
export { TransferError, type TransferErrorCode } from './errors.js';
export { parseRate, formatRate, formatBytes } from './rate.js';
export { type LinkClock, realClock, VirtualClock } from './clock.js';
export { TokenBucket } from './token-bucket.js';
export { Link, type LinkParams, type SendResult, defaultChunkBytes, retransmitTimeoutMs, sha256File } from './link.js';
export { Journal, type FileRecord, type RunRecord, type JournalRecord, STATE_DIR, JOURNAL_NAME } from './journal.js';
export {
  MANIFEST_NAME,
  ManifestError,
  type ManifestFault,
  type ManifestFile,
  type NightManifest,
  parseManifest,
  parseRawName,
  readManifest,
  safeRelativePath,
} from './manifest.js';
export { PART_SUFFIX, SUMMARY_NAME, type ItemKind, type PlanItem, type TransferPlan, planTransfer } from './plan.js';
export {
  type FileSummary,
  type FileTransferNightlySummary,
  type FileTransferPerImageSummary,
  type LinkSummary,
  type Problem,
  type RunSummary,
  type TransferSummary,
  formatSummary,
} from './summary.js';
export { type TransferOptions, type TransferProgress, type TransferResult, transferNight } from './transfer.js';
export { runTransferCli, type TransferCliOptions } from './cli.js';
