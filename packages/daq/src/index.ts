/**
 * @daqsim/daq: the DAQ emulator. Camera CSCs (ATCamera, CCCamera, MTCamera) commanded over HTTP with salobj-style
 * acks, image-cycle events with real pacing on an injectable clock, a file store with arrival notifications,
 * scriptable faults, and a typed client.
 */
export { RealClock, FakeClock, AbortedError, TAI_MINUS_UTC_MS, type Clock } from './clock.js';
export * from './enums.js';
export { CommandError, DaqError, type CommandErrorCode, type DaqErrorCode } from './errors.js';
export type * from './event-types.js';
export { EventLog, type EventListener, type ReplayResult } from './event-log.js';
export { COMMANDS, commandSpec, bodySchema, MAX_STRING, type CommandName, type CommandParamMap, type CommandSpec } from './commands.js';
export { CSC_NAMES, cameraProfile, DEFAULT_TIMING, type CscName, type CameraProfile, type FilterSpec, type Timing } from './profiles.js';
export {
  CAMERA_KEYS,
  isCameraKey,
  describeCamera,
  defaultFrameRenderer,
  dayObsAt,
  makeObsId,
  groupIdAt,
  isoTai,
  planExposure,
  dayObsOfObsId,
  shutterClosedFor,
  addDaqKeywords,
  renderConstantReference,
  DEFAULT_CONTROLLER,
  IMAGE_TYPES,
  type ImageType,
  type ExposureRequest,
  type FilterInfo,
  type CameraKey,
  type CameraInfo,
  type DetectorInfo,
  type AmpInfo,
  type ExposureRecord,
  type FrameRenderer,
  type RenderOptions,
  type HduSpec,
} from './frames.js';
export { FAULT_KINDS, FAULT_SCHEMA, FaultBoard, type FaultKind, type FaultSpec, type ArmedFault } from './faults.js';
export { FileSequenceCounter, MemorySequenceCounter, MAX_SEQ_NUM, type SequenceCounter } from './sequence.js';
export { FileStore, MemoryStore, rawKey, sidecarKey, md5Hex, type Store, type StoredObject, type ObjectInfo, type ObjectReader } from './store.js';
export { objectCreatedNotification, type BucketNotification, type S3Record, type ObjectCreated } from './notify/bucket-event.js';
export { NotificationDispatcher, DEFAULT_RETRY, type RetryPolicy, type DeliveryFailure, type DispatcherOptions } from './notify/dispatcher.js';
export { WebhookTarget, RedisListTarget, type NotificationTarget, type RedisTargetOptions } from './notify/targets.js';
export { RespClient, RespError, parseRedisUrl, type RespValue, type RedisAddress } from './notify/resp.js';
export { parseKeyValueMap, joinColonList, splitColonList } from './key-value-map.js';
export { PlaylistLibrary, PlaylistRenderer, RoutingRenderer } from './playlist.js';
export { CameraCsc, DAQSIM_VERSION, XML_VERSION, type Ack, type CommandHandle, type CscSnapshot, type CameraCscOptions } from './csc.js';
export { imageTag, type ImageSpec } from './image-cycle.js';
export { ImageWriter, type ImageResult, type CcdOutcome } from './image-writer.js';
export { InlineEncoder, WorkerEncoder, type FitsEncoder } from './encoder.js';
export { defaultConfig, mergeConfig, loadConfigFile, isLoopback, type DaqConfig, type NotificationConfig, type WebhookConfig, type RedisConfig } from './config.js';
export { DaqEmulator, parseIsoTai, type EmulatorDeps } from './emulator.js';
export { buildServer, registeredRoutes, type ServerOptions } from './server/app.js';
export { startServer, type RunningServer } from './server/serve.js';
export { openApiDocument } from './server/openapi.js';
export { encodeImageBytes, decodeImageBytes, IMAGE_BYTES_HEADER, type DecodedImageBytes } from './server/image-bytes.js';
export { EventStreamer, type StreamMessage, type StreamSink } from './server/event-streamer.js';
export { packr } from './server/stream-sinks.js';
export {
  DaqClient,
  HttpError,
  CommandFailedError,
  CommandTimeoutError,
  type DaqClientOptions,
  type EventStreamOptions,
  type StreamControl,
  type TakeImagesOptions,
  type TakeImagesResult,
} from './client/client.js';
export { readSse, type SseMessage } from './client/sse-reader.js';
export { SynthesisFrameRenderer } from './synth-renderer.js';
export * from './s3/index.js';
