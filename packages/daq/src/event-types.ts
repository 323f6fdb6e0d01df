/**
 * The events a camera CSC publishes, by ts_xml name, with their ts_xml fields. Timestamps are TAI unix seconds.
 * Two names are daqsim's own and marked so: `faultInjected` and `notificationFailed`; `ackcmd` is the SAL ack
 * topic, carried on the same stream so a client that sent `?wait=false` can follow its command.
 */

export interface DetailedState {
  substate: number;
  timestampTransition: number;
}

export interface Transition {
  timestampTransition: number;
}

/** The fields startIntegration, startReadout, endReadout and endOfImageTelemetry share. */
export interface ImageIdBlock {
  additionalKeys: string;
  additionalValues: string;
  imagesInSequence: number;
  imageName: string;
  imageIndex: number;
  imageSource: string;
  imageController: string;
  imageDate: string;
  imageNumber: number;
  timestampAcquisitionStart: number;
}

/** Per-detector integer arrays; scalars on ATCamera (ts_xml count 1). */
export type PerCcd<T> = T | T[];

export interface EventFieldMap {
  heartbeat: { heartbeat: boolean };
  logLevel: { level: number; subsystem: string };
  logMessage: {
    name: string;
    level: number;
    message: string;
    traceback: string;
    filePath: string;
    functionName: string;
    lineNumber: number;
    process: number;
    timestamp: number;
  };
  softwareVersions: { salVersion: string; xmlVersion: string; cscVersion: string; subsystemVersions: string };
  summaryState: { summaryState: number };
  errorCode: { errorCode: number; errorReport: string; traceback: string };
  simulationMode: { mode: number };
  configurationApplied: { configurations: string; version: string; url: string; schemaVersion: string; otherInfo: string };
  configurationsAvailable: { overrides: string; version: string; url: string; schemaVersion: string };

  offlineDetailedState: DetailedState;
  imageReadinessDetailedState: DetailedState;
  calibrationDetailedState: DetailedState;
  shutterDetailedState: DetailedState;
  raftsDetailedState: DetailedState;
  ccsCommandState: DetailedState;
  filterChangerDetailedState: DetailedState;

  startShutterOpen: Transition;
  endShutterOpen: Transition;
  startShutterClose: Transition;
  endShutterClose: Transition;
  readyToTakeImage: Transition;
  notReadyToTakeImage: Transition;
  prepareToTakeImage: Transition;
  endTakeImage: Transition;
  endInitializeImage: Transition;
  ccsConfigured: Transition;
  startLoadFilter: Transition;
  endLoadFilter: Transition;
  startUnloadFilter: Transition;
  endUnloadFilter: Transition;
  startRotateCarousel: Transition;
  endRotateCarousel: Transition;

  startIntegration: ImageIdBlock & { exposureTime: number; mode: string; timeout: number };
  startReadout: ImageIdBlock & { exposureTime: number; timestampStartOfReadout: number };
  endReadout: ImageIdBlock & { requestedExposureTime: number; timestampEndOfReadout: number };
  endOfImageTelemetry: ImageIdBlock & {
    exposureTime: number;
    imageTag: string;
    timestampDateObs: number;
    timestampDateEnd: number;
    measuredShutterOpenTime: number;
    darkTime: number;
    emulatedImage: string;
  };
  imageReadoutParameters: {
    imageName: string;
    ccdLocation: string;
    raftBay: string;
    ccdSlot: string;
    ccdType: PerCcd<number>;
    overRows: PerCcd<number>;
    overCols: PerCcd<number>;
    readRows: PerCcd<number>;
    readCols: PerCcd<number>;
    readCols2: PerCcd<number>;
    preCols: PerCcd<number>;
    preRows: PerCcd<number>;
    postCols: PerCcd<number>;
    underCols: PerCcd<number>;
    daqFolder: string;
    daqAnnotation: string;
  };
  focalPlaneSummaryInfo: {
    ccdLocation: string;
    raftBay: string;
    ccdSlot: string;
    rebSerialNumber: string;
    rebLSSTName: string;
    ccdLSSTName: string;
    raftLSSTName: string;
    ccdManSerNum: string;
    ccdManufacturer: string;
    ccdType: PerCcd<number>;
    ccdTempSetPoint: PerCcd<number>;
    sequencerKey: string;
    sequencerChecksum: string;
  };
  imageStored: { imageName: string; timestampImageStored: number };
  fitsFilesWritten: {
    imageName: string;
    timestampFilesWritten: number;
    rootFileName: string;
    relativeFileNames: string;
    fileNode: string;
  };
  fileTransferPerImageSummary: {
    site: string;
    dayObs: string;
    obsId: string;
    expected: number;
    written: number;
    transferredBeforeResend: number;
    missingBeforeResend: number;
    resendCount: number;
    transferredAfterResend: number;
    missingAfterResend: number;
    metaData: string;
  };
  startSetFilter: { filterName: string; filterType: string };
  endSetFilter: { filterName: string; filterType: string; filterSlot: number; filterPosition: number };
  filterChangerPowerStatus: { timestampStatusChanged: number; powerState: number };
  availableFilters: {
    filterNames: string;
    filterTypes: string;
    maxChangeAngle: number;
    maxFastChangeAngle: number;
    maxSlowChangeTime: number[];
    maxFastChangeTime: number[];
  };

  /** SAL command acknowledgement. */
  ackcmd: { cmdId: number; command: string; ack: number; error: number; result: string; timeout: number };
  /** daqsim: a scripted fault fired (so a rehearsal can score whether it was noticed). */
  faultInjected: { faultId: string; kind: string; imageName: string; detector: string; amp: string; detail: string };
  /** daqsim: a notification could not be delivered within the retry bound. */
  notificationFailed: { target: string; bucket: string; key: string; attempts: number; error: string };
}

export type EventName = keyof EventFieldMap;

/** Header fields every SAL topic carries (a subset: the ones meaningful here). */
export interface PrivateFields {
  /** TAI unix seconds when the event was sent. */
  private_sndStamp: number;
  /** Per-topic counter. */
  private_seqNum: number;
  private_identity: string;
  private_origin: number;
}

/** One published event as the streams carry it. `seq` is the stream's sequence number (SSE `id:`). */
export interface DaqEvent<N extends EventName = EventName> {
  seq: number;
  name: N;
  data: EventFieldMap[N] & PrivateFields;
}

/** Any event, discriminated by name. */
export type AnyDaqEvent = { [N in EventName]: DaqEvent<N> }[EventName];
