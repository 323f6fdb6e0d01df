#!/usr/bin/python3
"""Generate packages/core/data/cameras/*.json from the project's reference camera tables.

Run with the system Python (it only needs the standard library):

    /usr/bin/python3 packages/core/scripts/make-camera-data.py [path/to/cameras.json]

The default input is /work/shared/reference/cameras.json. The output files are committed; the runtime never
reads the reference folder. Facts that the reference only gives in prose (raft serials, filters, bias levels,
timing) are written here as literals next to the place in the reference they come from.

The script also re-derives every amplifier's CCS DETSEC and DTV/DTM from the DM placement (y-mirror rule of
cameras.md section 3.2) and checks them against the values the reference copied from real raws, so a wrong
layout fails here rather than in a pipeline.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "..", "data", "cameras")
SCHEMA_VERSION = 1

# Sites (headers.md section 3: translator defaults; OBSGEO of the Simonyi site is copied from real headers,
# LATISS's is the WGS84 geocentric position of its translator default, with the negative Z a southern site needs).
SIMONYI_SITE = {
    "longitude": -70.749417,
    "latitude": -30.244639,
    "elevation": 2663.0,
    "obsgeo": [1818938.94, -5208470.95, -3195172.08],
}
AUXTEL_SITE = {
    "longitude": -70.747698,
    "latitude": -30.244728,
    "elevation": 2663.0,
    "obsgeo": [1819093.57, -5208411.68, -3195180.61],
}

# Raft serials (cameras.md section 2.3 table; ComCam section 2.2; LATISS real header RAFTNAME).
LSSTCAM_RAFT_SERIALS = {
    "R01": "LCA-11021_RTM-011", "R02": "LCA-11021_RTM-013", "R03": "LCA-11021_RTM-017",
    "R10": "LCA-11021_RTM-023", "R11": "LCA-11021_RTM-020", "R12": "LCA-11021_RTM-009",
    "R13": "LCA-11021_RTM-019", "R14": "LCA-11021_RTM-006", "R20": "LCA-11021_RTM-014",
    "R21": "LCA-11021_RTM-025", "R22": "LCA-11021_RTM-024", "R23": "LCA-11021_RTM-005",
    "R24": "LCA-11021_RTM-008", "R30": "LCA-11021_RTM-012", "R31": "LCA-11021_RTM-007",
    "R32": "LCA-11021_RTM-015", "R33": "LCA-11021_RTM-010", "R34": "LCA-11021_RTM-016",
    "R41": "LCA-11021_RTM-021", "R42": "LCA-11021_RTM-018", "R43": "LCA-11021_RTM-022",
}

# Registered physical filters and their bands (headers.md section 8, observing.md section 4).
LSSTCAM_FILTERS = [
    ("u_24", "u"), ("g_6", "g"), ("r_57", "r"), ("i_39", "i"), ("z_20", "z"), ("y_10", "y"),
    ("ph_5", "white"), ("ef_43", "white"), ("empty", "white"), ("none", "white"),
]
COMCAM_FILTERS = [
    ("u_02", "u"), ("u_05", "u"), ("u_06", "u"), ("g_01", "g"), ("g_07", "g"), ("r_03", "r"), ("i_06", "i"),
    ("z_02", "z"), ("z_03", "z"), ("y_04", "y"), ("pinhole", "white"), ("OG590_2_5mm", "OG590"),
    ("empty", "white"), ("none", "white"),
]
# LATISS: physical filter = FILTER~GRATING; headers carry empty_1 for an empty wheel slot.
LATISS_FILTERS = [
    ("SDSSu_65mm", "empty_1", "SDSSu_65mm~empty", "u"),
    ("SDSSg_65mm", "empty_1", "SDSSg_65mm~empty", "g"),
    ("SDSSr_65mm", "empty_1", "SDSSr_65mm~empty", "r"),
    ("SDSSi_65mm", "empty_1", "SDSSi_65mm~empty", "i"),
    ("SDSSz_65mm", "empty_1", "SDSSz_65mm~empty", "z"),
    ("empty_1", "SDSSy_65mm", "empty~SDSSy_65mm", "y"),
    ("empty_1", "empty_1", "empty~empty", "white"),
    ("empty_1", "holo4_003", "empty~holo4_003", "white"),
    ("SDSSr_65mm", "holo4_003", "SDSSr_65mm~holo4_003", "r"),
]
DC2_THROUGHPUTS = "1.4"

# Nominal bias levels in ADU (cameras.md section 4 / observing.md "Bias levels": medians of imSim's LSSTCam run
# 13421 and ComCamSim tables; DC2-era imSim default 1000). LATISS has no reference value: 15000 is the middle of
# the per-amp AVGBIAS range 8428-22466 seen in a real 2018 LATISS raw.
BIAS = {"ITL": 24104, "E2V": 26411, "ITL_G": 13771, "ITL_WF": 13589, "COMCAM": 24104, "LATISS": 15000, "DC2": 1000}

# Shutter overhead: DARKTIME - EXPTIME of the real 30 s headers in cameras.md section 6.3 (the time from the end
# of the requested exposure until the shutter is closed and readout starts).
OVERHEAD = {"LSSTCam": 0.95, "LSSTComCam": 0.43, "LATISS": 0.24}

# Nights on which obs_lsst rewrites headers of that instrument (headers.md section 8, obs_lsst fix_header code):
# synthetic data there would be silently changed, so resolveExposure refuses them. "controllers" limits a window
# to OBSIDs of those controllers (per-exposure correction files are looked up by OBSID).
def window(lo, hi, reason, controllers=None):
    w = {"from": lo, "to": hi, "reason": reason}
    if controllers:
        w["controllers"] = controllers
    return w


RESERVED = {
    "LSSTCam": [
        window(20000101, 20250422, "before 20250423 obs_lsst treats LSSTCam data as lab data or rewrites ROTPA"),
        window(20250518, 20250518, "obs_lsst forces VIGN_MIN on this night"),
        window(20250522, 20251121, "obs_lsst ships per-exposure header corrections for MC_O exposures", "O"),
        window(20250609, 20250609, "obs_lsst rewrites FILTER on this night"),
        window(20250703, 20250707, "obs_lsst forces VIGN_MIN on these nights"),
        window(20250714, 20250715, "obs_lsst forces VIGN_MIN on these nights"),
        window(20250819, 20250819, "obs_lsst forces VIGN_MIN on this night"),
        window(20260315, 20260315, "obs_lsst rewrites FILTER on this night"),
    ],
    "LSSTComCam": [
        window(20000101, 20240824, "obs_lsst treats LSSTComCam data before 2024-08-25 as lab data"),
        window(20241025, 20241124, "obs_lsst ships per-exposure header corrections for CC_O exposures", "O"),
    ],
    "LATISS": [
        window(20000101, 20211231, "obs_lsst applies LATISS header fix-ups before 2022 (and AT_O corrections to 20211102)"),
    ],
}

CCD_TYPES = {"ITL": "3800C", "ITL_G": "3800C", "ITL_WF": "4400", "E2V": "CCD250"}
ROLE = {"ITL": "science", "E2V": "science", "ITL_G": "guider", "ITL_WF": "wavefront"}


def die(msg):
    sys.exit(f"make-camera-data: {msg}")


def layout_json(ref, style):
    """One amp layout: raw boxes as [x0, y0, width, height] in 0-based readout coordinates."""
    raw_w, raw_h = ref["raw_amp_size"]
    dx0, dy0 = ref["data_origin"]
    dw, dh = ref["data_size"]
    so = ref["serial_overscan"]
    po = ref["parallel_overscan"]
    if ref["parallel_prescan_rows"] != 0 or ref["readCorner"] != "LL":
        die("unsupported layout (parallel prescan or read corner)")
    amps = []
    for a in ref["amps"]:
        if a["dm_bbox0"] != [a["ix"] * dw, a["iy"] * dh]:
            die(f"{a['amp']}: dm_bbox0 does not follow ix/iy")
        amps.append({"name": a["amp"], "ix": a["ix"], "iy": a["iy"], "flipX": a["flipX"], "flipY": a["flipY"]})
    return {
        "rawSize": [raw_w, raw_h],
        "data": [dx0, dy0, dw, dh],
        "serialPrescan": [0, dy0, dx0, dh],
        "serialOverscan": [so["x0"], dy0, so["width"], so["height"]],
        "parallelOverscan": [po["x0"], po["y0"], po["width"], po["height"]],
        "ccdSize": ref["assembled_size"],
        "refpos": ref["refpos"],
        "detsecStyle": style,
        "amps": amps,
    }


def section(x1, x2, y1, y2):
    return f"[{x1}:{x2},{y1}:{y2}]"


def check_layout(name, ref, layout):
    """Re-derive DATASEC, DM and CCS DETSEC and DTV/DTM as the TypeScript code does; compare with real values."""
    dx0, dy0, dw, dh = layout["data"]
    _, ccd_h = layout["ccdSize"]
    if ref["datasec"] != section(dx0 + 1, dx0 + dw, dy0 + 1, dy0 + dh):
        die(f"{name}: DATASEC mismatch")
    for a, r in zip(layout["amps"], ref["amps"]):
        x0, y0 = a["ix"] * dw, a["iy"] * dh
        xs = (x0 + dw, x0 + 1) if a["flipX"] else (x0 + 1, x0 + dw)
        ys = (y0 + dh, y0 + 1) if a["flipY"] else (y0 + 1, y0 + dh)
        if section(xs[0], xs[1], ys[0], ys[1]) != r["dm_detsec"]:
            die(f"{name} {a['name']}: DM DETSEC mismatch")
        if "ccs_detsec" not in r:
            continue
        cys = (ccd_h + 1 - ys[0], ccd_h + 1 - ys[1])
        if section(xs[0], xs[1], cys[0], cys[1]) != r["ccs_detsec"]:
            die(f"{name} {a['name']}: CCS DETSEC mismatch")
        # x_det = DTM1_1 * x_raw + DTV1 with x_raw 1-based; the first data column is dx0 + 1.
        dtm1 = -1 if a["flipX"] else 1
        dtv1 = xs[0] - dtm1 * (dx0 + 1)
        dtm2 = 1 if cys[0] < cys[1] else -1
        dtv2 = cys[0] - dtm2 * (dy0 + 1)
        if (dtv1, dtv2, float(dtm1), float(dtm2)) != (r["DTV1"], r["DTV2"], r["DTM1_1"], r["DTM2_2"]):
            die(f"{name} {a['name']}: DTV/DTM mismatch")


def per_amp(values, n):
    if isinstance(values, (int, float)):
        return values
    if len(values) != n:
        die("per-amp array has the wrong length")
    return values if len(set(values)) > 1 else values[0]


def detector_json(d, type_name, raft, slot, n_amps, scalars=None):
    out = {
        "id": d["id"],
        "name": d["name"],
        "raft": raft,
        "slot": slot,
        "type": type_name,
        "serial": d["serial"],
        "center": d["center_mm"],
        "yaw": d["yaw_deg"],
    }
    if scalars:
        out.update(scalars)
    else:
        out["gain"] = per_amp(d["gain"], n_amps)
        out["readNoise"] = per_amp(d["read_noise"], n_amps)
        out["saturation"] = per_amp(d["saturation_adu"], n_amps)
    return out


def physical_type(layout, vendor, ccd_type, bias, role):
    return {"layout": layout, "vendor": vendor, "ccdManu": vendor, "ccdType": ccd_type, "biasLevel": bias, "role": role}


def filters_plain(pairs):
    return [{"physical": p, "band": b, "filter": p} for p, b in pairs]


def camera_common(inst, key, name, style):
    return {
        "schemaVersion": SCHEMA_VERSION,
        "key": key,
        "name": name,
        "headerStyle": style,
        "plateScaleArcsecPerMm": inst["plate_scale_arcsec_per_mm"],
        "pixelSizeMm": inst["pixel_size_mm"],
        "fieldAngleRadialCoeffs": inst["field_angle_radial_coeffs"],
    }


def make_lsstcam(ref, layouts):
    inst = ref["instruments"]["LSSTCam"]
    cam = camera_common(inst, "lsstcam", "LSSTCam", "lsst")
    cam.update({
        "description": "Simonyi Survey Telescope LSST Camera: 189 science CCDs (ITL and E2V), 8 guiders, 8 wavefront half-CCDs",
        "instrume": "lsstCam",
        "telescop": "Simonyi Survey Telescope",
        "obsIdPrefix": "MC",
        "dayObsOffsetHours": 12,
        "wcsFlipX": False,
        "rotationKeyword": "ROTPA",
        "site": SIMONYI_SITE,
        "timing": {"readoutTime": 2.0, "shutterOverhead": OVERHEAD["LSSTCam"]},
        "filters": filters_plain(LSSTCAM_FILTERS),
        "defaultFilter": "r_57",
        "ampLayouts": {k: layouts[k] for k in ("ITL", "E2V", "ITL_WF")},
        "physicalTypes": {
            "ITL": physical_type("ITL", "ITL", CCD_TYPES["ITL"], BIAS["ITL"], "science"),
            "E2V": physical_type("E2V", "E2V", CCD_TYPES["E2V"], BIAS["E2V"], "science"),
            "ITL_G": physical_type("ITL", "ITL", CCD_TYPES["ITL_G"], BIAS["ITL_G"], "guider"),
            "ITL_WF": physical_type("ITL_WF", "ITL", CCD_TYPES["ITL_WF"], BIAS["ITL_WF"], "wavefront"),
        },
        "raftSerials": LSSTCAM_RAFT_SERIALS,
        "reservedDayObs": RESERVED["LSSTCam"],
    })
    dets = []
    for d in inst["detectors"]:
        raft, slot = d["name"].split("_")
        if ROLE[d["physical_type"]] != d["role"]:
            die(f"{d['name']}: unexpected role")
        dets.append(detector_json(d, d["physical_type"], raft, slot, d["n_amps"]))
    cam["detectors"] = dets
    return cam


def make_comcam(ref, layouts):
    inst = ref["instruments"]["LSSTComCam"]
    cam = camera_common(inst, "comcam", "LSSTComCam", "lsst")
    cam.update({
        "description": "Commissioning Camera: one ITL raft (R22) of 9 CCDs on the Simonyi Survey Telescope",
        "instrume": "ComCam",
        "telescop": "Simonyi Survey Telescope",
        "obsIdPrefix": "CC",
        "dayObsOffsetHours": 12,
        "wcsFlipX": False,
        "rotationKeyword": "ROTPA",
        "site": SIMONYI_SITE,
        "timing": {"readoutTime": 2.0, "shutterOverhead": OVERHEAD["LSSTComCam"]},
        "filters": filters_plain(COMCAM_FILTERS),
        "defaultFilter": "r_03",
        "ampLayouts": {"ITL": layouts["ITL"]},
        "physicalTypes": {"ITL": physical_type("ITL", "ITL", "3800C", BIAS["COMCAM"], "science")},
        "raftSerials": {"R22": "LCA-11021_RTM-031"},
        "reservedDayObs": RESERVED["LSSTComCam"],
    })
    cam["detectors"] = [detector_json(d, "ITL", *d["name"].split("_"), 16) for d in inst["detectors"]]
    return cam


def make_latiss(ref, layouts):
    inst = ref["instruments"]["LATISS"]
    cam = camera_common(inst, "latiss", "LATISS", "latiss")
    cam.update({
        "description": "Auxiliary Telescope imager and spectrograph: one ITL CCD (DM name RXX_S00, headers R00/S00)",
        "instrume": "LATISS",
        "telescop": "LSST AuxTelescope",
        "obsIdPrefix": "AT",
        "dayObsOffsetHours": 12,
        "wcsFlipX": bool(inst["initial_wcs_flipX"]),
        "rotationKeyword": "ROTPA",
        "site": AUXTEL_SITE,
        "timing": {"readoutTime": 2.0, "shutterOverhead": OVERHEAD["LATISS"]},
        "filters": [{"physical": p, "band": b, "filter": f, "grating": g} for f, g, p, b in LATISS_FILTERS],
        "defaultFilter": "SDSSr_65mm~empty",
        "ampLayouts": {"ITL": layouts["ITL"]},
        "physicalTypes": {"ITL": physical_type("ITL", "ITL", "3800C", BIAS["LATISS"], "science")},
        "raftSerials": {"R00": "AuxTel-Raft"},
        "reservedDayObs": RESERVED["LATISS"],
    })
    (d,) = inst["detectors"]
    cam["detectors"] = [detector_json(d, "ITL", "R00", "S00", 16)]
    return cam


def make_dc2(ref, layouts):
    inst = ref["instruments"]["LSSTCam-imSim"]
    cam = camera_common(inst, "dc2", "LSSTCam-imSim", "imsim")
    amps = inst["all_amps"]
    cam.update({
        "description": "DESC DC2 imSim camera (LSSTCam-imSim): 189 ITL science CCDs at measured positions",
        "instrume": None,
        "telescop": "LSST",
        "obsIdPrefix": None,
        "dayObsOffsetHours": 0,
        "wcsFlipX": False,
        "rotationKeyword": "ROTANGLE",
        "site": SIMONYI_SITE,
        "timing": {"readoutTime": 3.0, "shutterOverhead": 0.0},
        "filters": [{"physical": f"{b}_sim_{DC2_THROUGHPUTS}", "band": b, "filter": b, "throughputsVersion": DC2_THROUGHPUTS}
                    for b in "ugrizy"],
        "defaultFilter": f"r_sim_{DC2_THROUGHPUTS}",
        "imageTypeAliases": {"OBJECT": "SKYEXP"},
        "ampLayouts": {"ITL": layouts["ITL_imSim_DC2"]},
        "physicalTypes": {"ITL": physical_type("ITL", "ITL", "3800C", BIAS["DC2"], "science")},
    })
    scalars = {"gain": amps["gain"], "readNoise": amps["read_noise"], "saturation": amps["saturation_adu"]}
    cam["detectors"] = [detector_json(d, "ITL", *d["name"].split("_"), 16, scalars) for d in inst["detectors"]]
    return cam


def dump(cam, path):
    """Stable, diff-friendly JSON: one detector or amp per line."""
    lines = ["{"]
    keys = list(cam.keys())
    for i, k in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        v = cam[k]
        if k == "detectors":
            lines.append(f'  "{k}": [')
            for j, d in enumerate(v):
                lines.append("    " + json.dumps(d, separators=(",", ":")) + ("," if j < len(v) - 1 else ""))
            lines.append("  ]" + comma)
        elif k == "ampLayouts":
            lines.append(f'  "{k}": {{')
            for j, (name, layout) in enumerate(v.items()):
                head = {kk: vv for kk, vv in layout.items() if kk != "amps"}
                lines.append(f'    "{name}": ' + json.dumps(head, separators=(",", ":"))[:-1] + ',"amps":[')
                amps = layout["amps"]
                for m, a in enumerate(amps):
                    lines.append("      " + json.dumps(a, separators=(",", ":")) + ("," if m < len(amps) - 1 else ""))
                lines.append("    ]}" + ("," if j < len(v) - 1 else ""))
            lines.append("  }" + comma)
        elif k in ("physicalTypes", "filters", "reservedDayObs") and v:
            items = list(v.items()) if isinstance(v, dict) else list(enumerate(v))
            lines.append(f'  "{k}": ' + ("{" if isinstance(v, dict) else "["))
            for j, (kk, vv) in enumerate(items):
                prefix = f'    "{kk}": ' if isinstance(v, dict) else "    "
                lines.append(prefix + json.dumps(vv, separators=(",", ":")) + ("," if j < len(items) - 1 else ""))
            lines.append("  " + ("}" if isinstance(v, dict) else "]") + comma)
        else:
            lines.append(f'  "{k}": ' + json.dumps(v, separators=(",", ":")) + comma)
    lines.append("}")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/reference/cameras.json"
    with open(src) as fh:
        ref = json.load(fh)
    geo = ref["amp_geometry"]
    layouts = {
        "ITL": layout_json(geo["ITL"], "ccs"),
        "E2V": layout_json(geo["E2V"], "ccs"),
        # The CCS convention of real wavefront raws was not verified; the same y-mirror rule is applied.
        "ITL_WF": layout_json(geo["ITL_WF"], "ccs"),
        "ITL_imSim_DC2": layout_json(geo["ITL_imSim_DC2"], "dm"),
    }
    for name, layout in layouts.items():
        check_layout(name, geo[name], layout)
    os.makedirs(OUT_DIR, exist_ok=True)
    for fname, make in (("lsstcam.json", make_lsstcam), ("comcam.json", make_comcam),
                        ("latiss.json", make_latiss), ("dc2.json", make_dc2)):
        cam = make(ref, layouts)
        dump(cam, os.path.join(OUT_DIR, fname))
        print(f"wrote {fname}: {len(cam['detectors'])} detectors")


if __name__ == "__main__":
    main()
