/** The adapter to @daqsim/core: camera descriptions and the default renderer's equivalence with core's. */
import { describe, expect, it } from 'vitest';
import { encodeFits } from '@daqsim/fits';
import { defaultFrameRenderer, describeCamera, planExposure, renderConstantReference, type CameraKey, type ExposureRequest } from '../src/index.js';

function request(camera: CameraKey): ExposureRequest {
  const cam = describeCamera(camera);
  return {
    imageType: 'FLAT', start: Date.UTC(2026, 2, 1, 3) + 37_000, expTime: 5, seqNum: 7, dayObs: 20260228, controller: 'S', filter: cam.defaultFilter,
    groupId: '2026-03-01T02:59:00.000', imageIndex: 1, imagesInSequence: 1, readoutTime: cam.readoutTime, program: 'p', reason: 'r', testType: 'FLAT',
    obsNote: 'note', keyValues: {}, emulatedImage: '', discardedRows: 0,
  };
}

describe('frames adapter', () => {
  it('describes the cameras from core', () => {
    expect(describeCamera('latiss').detectors.map((d) => d.name)).toEqual(['R00_S00']);
    expect(describeCamera('comcam').detectors).toHaveLength(9);
    const mt = describeCamera('lsstcam');
    expect(mt.detectors.filter((d) => d.slot.startsWith('SW'))).toHaveLength(8);
    expect(mt.detectors.some((d) => d.slot.startsWith('SG'))).toBe(false);
    expect(describeCamera('dc2')).toMatchObject({ instrument: 'LSSTCam-imSim', integerObsId: true });
  });

  for (const [camera, detector] of [['latiss', 'R00_S00'], ['lsstcam', 'R00_SW1'], ['dc2', 'R22_S11']] as const) {
    it(`renders ${camera} ${detector} exactly as core's renderConstantCcdHdus`, async () => {
      const rec = planExposure(describeCamera(camera), request(camera), '0123456789abcdef');
      const ours = encodeFits(await defaultFrameRenderer().renderCcd(rec, detector, { compress: true }));
      const core = encodeFits(renderConstantReference(rec, detector, { compress: true }));
      expect(Buffer.from(ours).equals(Buffer.from(core))).toBe(true);
    });
  }
});
