/** The nightly report behind `daqsim report`: pixel QA, the night's timeline, faults versus QA, one HTML page. */
export { ReportError, type ReportErrorCode } from './errors.js';
export { type NightReport, type ReportOptions, type ReportSummary, buildNightReport, readTransferSummary, writeReport } from './report.js';
export { runReportCli, type ReportCliOptions } from './cli.js';
export { type CcdJob, type CcdResult, analyzeCcd } from './analyze.js';
export { type AmpQa, type CcdMeasurement, measureCcd } from './ccd.js';
export * from './qa.js';
export { median, madSigma, clippedStats, quantileSorted, selectInPlace, strided, type ClippedStats } from './stats.js';
export { type AmpPlacement, BlockAccumulator, ccdX, ccdY, placeAmp } from './assemble.js';
export { makeThumbnail, type Thumbnail } from './thumbnail.js';
export { type NightEvent, parseEvents, readEvents, taiIsoToMs, utcIsoToTaiMs } from './events.js';
export { type ExposureTimeline, type FileArrival, type LatencySeries, type NightTimeline, buildTimeline, latencySeries } from './timeline.js';
export { type FaultVerdict, type FileRef, type InjectedFault, type QaFlag, type QaFlagCode, QA_LIMITS, REQUIRED_KEYWORDS, collectFaults, pixelFlags, scoreFaults } from './flags.js';
export { type TruthComparison, type TruthRecord, compareWithTruth } from './truth.js';
