"""Independent reader for daqsim's interop tests: astropy (Debian python3-astropy) opens a file and reports.

  fits_tool.py dump FILE OUTDIR
      Prints JSON, one entry per HDU: name, astropy class, dtype, shape, header cards with Python types,
      and whether astropy's checksum verification passed. Writes each image's data, as astropy decoded it,
      as little-endian bytes to OUTDIR/hdu<i>.bin.
  fits_tool.py rice IN.bin DTYPE NAXIS1 NAXIS2 OUT.fz
      Writes IN.bin (little-endian DTYPE) as a RICE_1 CompImageHDU with astropy's own compressor.
"""
import json
import sys
import warnings

import numpy as np
from astropy.io import fits


def checksum_ok(path):
    """astropy's verdict on CHECKSUM/DATASUM of every HDU as stored (compressed HDUs as their binary tables)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            with fits.open(path, checksum=True, disable_image_compression=True) as hl:
                for h in hl:
                    if "CHECKSUM" not in h.header or "DATASUM" not in h.header:
                        return False
                    h.data  # force the data checksum
            return True
        except Exception as e:  # a failed check is a warning turned error
            sys.stderr.write(f"checksum: {e}\n")
            return False


def pytype(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "str"
    return type(v).__name__


def dump(path, outdir):
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fits.open(path) as hl:
            for i, h in enumerate(hl):
                entry = {"index": i, "name": h.name, "class": type(h).__name__, "cards": []}
                for card in h.header.cards:
                    if card.keyword in ("COMMENT", "HISTORY", ""):
                        entry["cards"].append([card.keyword, str(card.value), "commentary"])
                    else:
                        v = card.value
                        entry["cards"].append([card.keyword, v if pytype(v) in ("bool", "int", "float", "str") else str(v), pytype(v)])
                data = h.data
                if data is not None and getattr(data, "dtype", None) is not None and data.dtype.names is None:
                    a = np.ascontiguousarray(data)
                    entry["dtype"] = a.dtype.newbyteorder("=").name
                    entry["shape"] = list(a.shape)
                    a.astype(a.dtype.newbyteorder("<")).tofile(f"{outdir}/hdu{i}.bin")
                out.append(entry)
    print(json.dumps({"hdus": out, "checksum_ok": checksum_ok(path)}))


def rice(inp, dtype, n1, n2, outp):
    a = np.fromfile(inp, dtype=np.dtype(dtype).newbyteorder("<")).reshape(int(n2), int(n1))
    a = a.astype(np.dtype(dtype))
    hdu = fits.CompImageHDU(a, compression_type="RICE_1")
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(outp, overwrite=True, checksum=True)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "dump":
        dump(sys.argv[2], sys.argv[3])
    elif cmd == "rice":
        rice(*sys.argv[2:7])
    else:
        sys.exit(f"unknown command {cmd}")
