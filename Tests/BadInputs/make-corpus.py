#!/usr/bin/env python3
"""Builds the corpus of bad inputs in Tests/BadInputs from Data/tiktok.

control/ is a real slice of TikTok: the 100 items most often in training,
and the interactions of users 0..299 with them, users and items renumbered
densely in id order, with both modalities' feature rows. Interactions that
would make the loader recover (users or items without training, a held-out
pair that training has) are left out, so the control loads with no warning.

Every folder under cases/ holds one experiment config (config.json) and the
files of its one defect; all other files are the control's, by relative path.
cases.json lists each case with its kind, its defect and what `bench
validate` and `bench run` must do: "error" (exit 64, a message containing
every fragment, nothing written), "warning" (exit 0, each fragment in a
warning on stderr), or "same" (exit 0, no warning, and the same dataset and
test metrics as the control).

Run from the repository root: python3 Tests/BadInputs/make-corpus.py
Plain Python 3, no packages. The output is deterministic.
"""

import json
import os
import shutil
import struct
from collections import Counter

ROOT = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(ROOT))
TIKTOK = os.path.join(REPO, "Data", "tiktok")
CONTROL = os.path.join(ROOT, "control")
CASES = os.path.join(ROOT, "cases")


# ---------------------------------------------------------------- .npy files

def read_npy(path):
    """(descr, shape, payload bytes) of a version 1.0 .npy file."""
    raw = open(path, "rb").read()
    assert raw[:6] == b"\x93NUMPY" and raw[6] == 1
    length = struct.unpack("<H", raw[8:10])[0]
    header = raw[10:10 + length].decode("latin1")
    descr = header.split("'descr':")[1].split("'")[1]
    shape = tuple(int(x) for x in header.split("(")[1].split(")")[0].split(",") if x.strip())
    return descr, shape, raw[10 + length:]


def npy_header(descr, shape, fortran=False, version=1, text=None):
    """A .npy header, padded as NumPy pads it (to a multiple of 64 bytes)."""
    if text is None:
        dims = ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "")
        text = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (descr, "True" if fortran else "False", dims)
    prefix = 10 if version == 1 else 12
    body = text.encode("latin1")
    pad = (64 - (prefix + len(body) + 1) % 64) % 64
    body += b" " * pad + b"\n"
    size = struct.pack("<H", len(body)) if version == 1 else struct.pack("<I", len(body))
    return b"\x93NUMPY" + bytes([version, 0]) + size + body


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode, newline="" if mode == "w" else None) as f:
        f.write(data)


def half_to_float(h):
    return struct.unpack("<e", h)[0]


# ---------------------------------------------------------------- the slice

def make_slice():
    lines = open(os.path.join(TIKTOK, "tiktok.inter")).read().splitlines()
    assert lines[0] == "userID\titemID\tx_label"
    rows = [tuple(int(x) for x in line.split("\t")) for line in lines[1:]]
    popularity = Counter(i for u, i, s in rows if s == 0)
    top = set(sorted(popularity, key=lambda i: (-popularity[i], i))[:100])
    kept = [r for r in rows if r[0] < 300 and r[1] in top]
    while True:  # drop what the loader would recover from
        seen, train, clean = set(), set(), []
        for u, i, s in kept:
            if s == 0:
                train.add((u, i))
        for u, i, s in kept:
            if (u, i) in seen or (s != 0 and (u, i) in train):
                continue
            seen.add((u, i))
            clean.append((u, i, s))
        users = {u for u, i, s in clean if s == 0}
        items = {i for u, i, s in clean if s == 0}
        clean = [r for r in clean if r[0] in users and r[1] in items]
        if clean == kept:
            break
        kept = clean
    user_ids = {u: n for n, u in enumerate(sorted({u for u, _, _ in kept}))}
    item_ids = {i: n for n, i in enumerate(sorted({i for _, i, _ in kept}))}
    inter = [(user_ids[u], item_ids[i], s) for u, i, s in kept]
    features = {}
    for name, file in [("image", "image_feat.npy"), ("audio", "audio_feat.npy")]:
        descr, shape, payload = read_npy(os.path.join(TIKTOK, file))
        assert descr == "<f2" and shape[0] == 6710
        width = shape[1] * 2
        rows = b"".join(payload[old * width:(old + 1) * width] for old in sorted(item_ids))
        features[name] = (shape[1], rows)
    return inter, features, len(item_ids)


def inter_text(rows, header="userID\titemID\tx_label", newline="\n"):
    return newline.join([header] + ["%d\t%d\t%d" % r for r in rows]) + newline


# ---------------------------------------------------------------- the cases

def main():
    inter, features, items = make_slice()
    cols, image = features["image"]
    _, audio = features["audio"]
    for folder in (CONTROL, CASES):
        shutil.rmtree(folder, ignore_errors=True)
    write(os.path.join(CONTROL, "slice.inter"), inter_text(inter))
    write(os.path.join(CONTROL, "image.npy"), npy_header("<f2", (items, cols)) + image)
    write(os.path.join(CONTROL, "audio.npy"), npy_header("<f2", (items, cols)) + audio)
    descriptor = {
        "name": "tiktok-slice",
        "interactions": "slice.inter",
        "features": {"visual": "image.npy", "acoustic": "audio.npy"},
        "source": "Tests/BadInputs/make-corpus.py: TikTok's 100 items most often in training and users 0..299",
    }
    write(os.path.join(CONTROL, "tiktok-slice.json"), json.dumps(descriptor, indent=2) + "\n")
    config = {
        "name": "corpus",
        "dataset": "../../control/tiktok-slice.json",
        "protocol": {"ks": [10], "metrics": ["recall", "ndcg"], "valid_metric": "recall@10"},
        "training": {"epochs": 1, "batch_size": 512},
        "seeds": [1],
        "models": [{"model": "VBPR", "parameters": {"embedding_size": 8}}],
    }
    control_config = dict(config, dataset="tiktok-slice.json")
    write(os.path.join(CONTROL, "config.json"), json.dumps(control_config, indent=2) + "\n")

    cases = []
    last_item = items - 1
    first_train = next(r for r in inter if r[2] == 0)

    def case(name, kind, defect, outcome, expect, files=None, config_text=None, dataset=None):
        folder = os.path.join(CASES, name)
        os.makedirs(folder)
        for file, data in (files or {}).items():
            write(os.path.join(folder, file), data)
        if config_text is None:
            c = dict(config)
            if dataset is not None:
                c["dataset"] = dataset
            config_text = json.dumps(c, indent=2) + "\n"
        write(os.path.join(folder, "config.json"), config_text)
        cases.append({"name": name, "kind": kind, "defect": defect, "outcome": outcome, "expect": expect})

    def with_descriptor(**changes):
        d = json.loads(json.dumps(descriptor))
        d["interactions"] = "../../control/slice.inter"
        d["features"] = {"visual": "../../control/image.npy", "acoustic": "../../control/audio.npy"}
        for key, value in changes.items():
            if value is None:
                d.pop(key, None)
            else:
                d[key] = value
        return json.dumps(d, indent=2) + "\n"

    def inter_case(name, defect, outcome, expect, text):
        case(name, "inter", defect, outcome, expect,
             files={"slice.inter": text, "dataset.json": with_descriptor(interactions="slice.inter")},
             dataset="dataset.json")

    lines = inter_text(inter).splitlines(keepends=True)

    def replace_line(n, text):
        """The control .inter with line n (1-based, the header is 1) replaced."""
        out = list(lines)
        out[n - 1] = text
        return "".join(out)

    # .inter files --------------------------------------------------------
    inter_case("inter-missing-label-column", "the header has no x_label column", "error",
               ["slice.inter", "line 1", "missing column 'x_label'"],
               "userID\titemID\n" + "".join("%d\t%d\n" % (u, i) for u, i, s in inter))
    inter_case("inter-renamed-user-column", "the header says user_id for userID", "error",
               ["slice.inter", "line 1", "missing column 'userID'", "user_id"],
               inter_text(inter, header="user_id\titemID\tx_label"))
    inter_case("inter-columns-reordered", "columns in the order itemID, x_label, userID", "same", [],
               "itemID\tx_label\tuserID\n" + "".join("%d\t%d\t%d\n" % (i, s, u) for u, i, s in inter))
    inter_case("inter-extra-column", "a fourth column, timestamp, on every line", "same", [],
               "userID\titemID\tx_label\ttimestamp\n"
               + "".join("%d\t%d\t%d\t%d\n" % (u, i, s, 1600000000 + k) for k, (u, i, s) in enumerate(inter)))
    inter_case("inter-extra-field", "line 7 has a fourth field", "error",
               ["slice.inter", "line 7", "4 tab-separated fields", "the header has 3"],
               replace_line(7, lines[6].rstrip("\n") + "\t99\n"))
    inter_case("inter-missing-field", "line 9 has no x_label field", "error",
               ["slice.inter", "line 9", "2 tab-separated fields"],
               replace_line(9, "\t".join(lines[8].split("\t")[:2]) + "\n"))
    inter_case("inter-trailing-tab", "line 12 ends in a tab", "error",
               ["slice.inter", "line 12", "4 tab-separated fields"],
               replace_line(12, lines[11].rstrip("\n") + "\t\n"))
    inter_case("inter-space-separated-line", "line 5 is separated by spaces", "error",
               ["slice.inter", "line 5", "1 tab-separated field;"],
               replace_line(5, lines[4].replace("\t", " ")))
    inter_case("inter-negative-user", "line 20's userID is -3", "error",
               ["slice.inter", "line 20", "userID -3", "negative"],
               replace_line(20, "-3\t" + lines[19].split("\t", 1)[1]))
    inter_case("inter-negative-item", "line 21's itemID is -1", "error",
               ["slice.inter", "line 21", "itemID -1", "negative"],
               replace_line(21, "%s\t-1\t%s" % (lines[20].split("\t")[0], lines[20].split("\t")[2])))
    inter_case("inter-item-not-a-number", "line 30's itemID is 12a", "error",
               ["slice.inter", "line 30", "itemID '12a'", "not a non-negative integer id"],
               replace_line(30, "%s\t12a\t%s" % (lines[29].split("\t")[0], lines[29].split("\t")[2])))
    inter_case("inter-item-real", "line 31's itemID is 12.0", "error",
               ["slice.inter", "line 31", "itemID '12.0'", "not a non-negative integer id"],
               replace_line(31, "%s\t12.0\t%s" % (lines[30].split("\t")[0], lines[30].split("\t")[2])))
    inter_case("inter-empty-user", "line 40's userID is empty", "error",
               ["slice.inter", "line 40", "userID is empty"],
               replace_line(40, "\t" + lines[39].split("\t", 1)[1]))
    inter_case("inter-id-out-of-range", "line 41's itemID is 2^40", "error",
               ["slice.inter", "line 41", "itemID 1099511627776", "out of range"],
               replace_line(41, "%s\t1099511627776\t%s" % (lines[40].split("\t")[0], lines[40].split("\t")[2])))
    inter_case("inter-label-3", "line 50's x_label is 3", "error",
               ["slice.inter", "line 50", "x_label 3", "not 0, 1 or 2"],
               replace_line(50, "\t".join(lines[49].split("\t")[:2]) + "\t3\n"))
    inter_case("inter-label-word", "line 51's x_label is train", "error",
               ["slice.inter", "line 51", "x_label 'train'"],
               replace_line(51, "\t".join(lines[50].split("\t")[:2]) + "\ttrain\n"))
    inter_case("inter-not-utf8", "line 60's userID has a 0xFF byte", "error",
               ["slice.inter", "line 60", "userID", "not a non-negative integer id"],
               "".join(lines[:59]).encode() + b"1\xff\t" + lines[59].split("\t", 1)[1].encode()
               + "".join(lines[60:]).encode())
    inter_case("inter-empty-file", "the file is empty", "error", ["slice.inter", "the file is empty"], "")
    inter_case("inter-header-only", "a header and no interactions", "error",
               ["slice.inter", "no interactions after the header"], lines[0])
    inter_case("inter-no-training", "every x_label is 2 (test)", "error",
               ["slice.inter", "no training interactions"],
               inter_text([(u, i, 2) for u, i, s in inter]))
    inter_case("inter-crlf", "CRLF line endings", "same", [], inter_text(inter, newline="\r\n"))
    inter_case("inter-blank-lines", "blank lines after lines 10 and 100", "same", [],
               "".join(lines[:10]) + "\n" + "".join(lines[10:100]) + "\n" + "".join(lines[100:]))
    inter_case("inter-byte-order-mark", "a UTF-8 byte-order mark before the header", "warning",
               ["slice.inter", "byte-order mark"], "\ufeff" + inter_text(inter))
    inter_case("inter-utf16", "the file is UTF-16 with a byte-order mark", "error",
               ["slice.inter", "UTF-16"], ("\ufeff" + inter_text(inter)).encode("utf-16-le"))
    inter_case("inter-repeated-pair", "the first training pair appears twice", "warning",
               ["1 repeated (user, item) pair in train dropped"],
               inter_text(inter + [first_train]))
    inter_case("inter-train-test-overlap", "the first training pair is also a test pair", "warning",
               ["1 (user, item) pair is in both train and test", "kept in test"],
               inter_text(inter + [(first_train[0], first_train[1], 2)]))
    inter_case("inter-user-without-training", "a new user with only a test interaction", "warning",
               ["1 user has no training interaction"],
               inter_text(inter + [(max(u for u, _, _ in inter) + 1, 0, 2)]))
    test_only = sorted({i for u, i, s in inter if s == 0}, key=lambda i: (sum(1 for r in inter if r[1] == i and r[2] == 0), i))
    users_train = Counter(u for u, i, s in inter if s == 0)
    moved = next(i for i in test_only
                 if all(users_train[u] >= 2 for u, j, s in inter if j == i and s == 0)
                 and not any(j == i and s != 0 for u, j, s in inter))
    inter_case("inter-item-without-training", "item %d's training interactions are all marked test" % moved, "warning",
               ["1 item is never in training"],
               inter_text([(u, i, 2 if i == moved else s) for u, i, s in inter]))
    inter_case("inter-item-beyond-features", "a last line names item %d; the features have %d rows" % (items, items),
               "error", ["image.npy", "%d rows" % items, "line %d" % (len(lines) + 1), "slice.inter", "item %d" % items],
               "".join(lines) + "%d\t%d\t0\n" % (inter[-1][0], items))

    # .npy files ------------------------------------------------------------
    def npy_case(name, defect, outcome, expect, data):
        case(name, "npy", defect, outcome, expect,
             files={"image.npy": data,
                    "dataset.json": with_descriptor(features={"visual": "image.npy", "acoustic": "../../control/audio.npy"})},
             dataset="dataset.json")

    good_header = npy_header("<f2", (items, cols))
    npy_case("npy-bad-magic", "the magic string is \\x93NUMPX", "error", ["image.npy", "magic string"],
             good_header.replace(b"NUMPY", b"NUMPX", 1) + image)
    npy_case("npy-version-4", "format version 4.0", "error", ["image.npy", "version 4.0"],
             good_header[:6] + b"\x04" + good_header[7:] + image)
    npy_case("npy-header-truncated", "the file ends inside the header", "error", ["image.npy", "truncated"],
             good_header[:40])
    npy_case("npy-integer-dtype", "dtype <i4", "error", ["image.npy", "'<i4'", "float"],
             npy_header("<i4", (items, cols // 2)) + image)
    npy_case("npy-big-endian", "dtype >f2", "error", ["image.npy", "'>f2'"],
             npy_header(">f2", (items, cols)) + image)
    npy_case("npy-fortran-order", "fortran_order True", "error", ["image.npy", "Fortran"],
             npy_header("<f2", (items, cols), fortran=True) + image)
    npy_case("npy-three-dimensions", "shape (items, 8, 16)", "error", ["image.npy", "3 dimensions", "2-D"],
             npy_header("<f2", (items, 8, cols // 8)) + image)
    npy_case("npy-one-dimension", "shape (items × 128,)", "error", ["image.npy", "1 dimension", "2-D"],
             npy_header("<f2", (items * cols,)) + image)
    npy_case("npy-zero-rows", "shape (0, 128) and no data", "error", ["image.npy", "no rows"],
             npy_header("<f2", (0, cols)))
    npy_case("npy-zero-columns", "shape (items, 0) and no data", "error", ["image.npy", "no columns"],
             npy_header("<f2", (items, 0)))
    npy_case("npy-negative-shape", "shape (-items, 128)", "error", ["image.npy", "'-%d'" % items, "non-negative"],
             npy_header("<f2", (-items, cols)) + image)
    npy_case("npy-missing-shape", "the header has no 'shape' key", "error", ["image.npy", "missing key 'shape'"],
             npy_header("<f2", (), text="{'descr': '<f2', 'fortran_order': False, }") + image)
    npy_case("npy-payload-truncated", "half the data is missing", "error", ["image.npy", "truncated", "needs %d bytes" % len(image)],
             good_header + image[:len(image) // 2])
    npy_case("npy-bytes-past-the-data", "256 bytes after the data", "error", ["image.npy", "256 bytes past the data"],
             good_header + image + bytes(256))
    npy_case("npy-one-row-short", "shape (items - 1, 128): the last item has no row", "error",
             ["image.npy", "%d rows" % (items - 1), "slice.inter", "item %d" % (items - 1)],
             npy_header("<f2", (items - 1, cols)) + image[:(items - 1) * cols * 2])
    npy_case("npy-one-row-too-many", "shape (items + 1, 128)", "error",
             ["image.npy", "%d rows" % (items + 1), "%d items" % items],
             npy_header("<f2", (items + 1, cols)) + image + image[:cols * 2])
    nan_at = 37 * cols * 2 + 5 * 2
    npy_case("npy-nan", "row 37, column 5 is NaN", "error", ["image.npy", "row 37, column 5", "nan", "finite"],
             good_header + image[:nan_at] + struct.pack("<e", float("nan")) + image[nan_at + 2:])
    inf_at = 3 * cols * 2 + 100 * 2
    npy_case("npy-infinity", "row 3, column 100 is infinite", "error", ["image.npy", "row 3, column 100", "inf", "finite"],
             good_header + image[:inf_at] + struct.pack("<e", float("inf")) + image[inf_at + 2:])
    as_float32 = b"".join(struct.pack("<f", half_to_float(image[k:k + 2])) for k in range(0, len(image), 2))
    as_float64 = b"".join(struct.pack("<d", half_to_float(image[k:k + 2])) for k in range(0, len(image), 2))
    npy_case("npy-float32", "the same values as float32", "same", [], npy_header("<f4", (items, cols)) + as_float32)
    npy_case("npy-float64", "the same values as float64", "same", [], npy_header("<f8", (items, cols)) + as_float64)
    npy_case("npy-version-2", "the same array in format version 2.0", "same", [],
             npy_header("<f2", (items, cols), version=2) + image)
    npy_case("npy-empty-file", "the file is empty", "error", ["image.npy", "not an .npy file"], b"")
    npy_case("npy-is-text", "the .inter file given as the visual features", "error", ["image.npy", "not an .npy file"],
             inter_text(inter))

    # dataset descriptors ---------------------------------------------------
    def descriptor_case(name, defect, outcome, expect, text):
        case(name, "descriptor", defect, outcome, expect, files={"dataset.json": text}, dataset="dataset.json")

    good = with_descriptor()
    descriptor_case("descriptor-missing-comma", "no comma after the name", "error",
                    ["dataset.json", "line 3, column 3", "expected ',' or '}'"],
                    good.replace('"tiktok-slice",', '"tiktok-slice"', 1))
    descriptor_case("descriptor-trailing-comma", "a comma after the last key", "error",
                    ["dataset.json", "line 9, column 1", "expected a key"],
                    good.replace('"source": "%s"' % descriptor["source"], '"source": "%s",' % descriptor["source"]))
    descriptor_case("descriptor-single-quotes", "the name in single quotes", "error",
                    ["dataset.json", "line 2, column 11"], good.replace('"tiktok-slice"', "'tiktok-slice'"))
    descriptor_case("descriptor-unknown-key", "the key featurs (misspelt)", "error",
                    ["dataset.json", "key 'featurs'", "unknown key"], good.replace('"features"', '"featurs"'))
    descriptor_case("descriptor-missing-name", "no name", "error", ["dataset.json", "key 'name'", "missing"],
                    with_descriptor(name=None))
    descriptor_case("descriptor-name-number", "the name is 5", "error", ["dataset.json", "key 'name'", "an integer"],
                    with_descriptor(name=5))
    descriptor_case("descriptor-missing-interactions", "no interactions key", "error",
                    ["dataset.json", "key 'interactions'", "missing"], with_descriptor(interactions=None))
    descriptor_case("descriptor-interactions-not-found", "interactions names a file that does not exist", "error",
                    ["dataset.json", "key 'interactions'", "'slice.txt' not found"], with_descriptor(interactions="slice.txt"))
    descriptor_case("descriptor-interactions-folder", "interactions names a folder", "error",
                    ["dataset.json", "key 'interactions'", "is a folder"], with_descriptor(interactions="../../control"))
    descriptor_case("descriptor-interactions-empty", "interactions is the empty string", "error",
                    ["dataset.json", "key 'interactions'", "empty"], with_descriptor(interactions=""))
    descriptor_case("descriptor-unknown-modality", "features.image instead of features.visual", "error",
                    ["dataset.json", "key 'features.image'", "unknown modality"],
                    with_descriptor(features={"image": "../../control/image.npy", "acoustic": "../../control/audio.npy"}))
    descriptor_case("descriptor-feature-path-number", "features.visual is 7", "error",
                    ["dataset.json", "key 'features.visual'", "an integer", "path"],
                    with_descriptor(features={"visual": 7, "acoustic": "../../control/audio.npy"}))
    descriptor_case("descriptor-feature-path-empty", "features.visual is the empty string", "error",
                    ["dataset.json", "key 'features.visual'", "empty"],
                    with_descriptor(features={"visual": "", "acoustic": "../../control/audio.npy"}))
    descriptor_case("descriptor-feature-path-folder", "features.visual names a folder", "error",
                    ["dataset.json", "key 'features.visual'", "is a folder"],
                    with_descriptor(features={"visual": "../../control", "acoustic": "../../control/audio.npy"}))
    descriptor_case("descriptor-feature-not-found", "features.visual names a missing file", "error",
                    ["dataset.json", "key 'features.visual'", "'image_feat.npy' not found"],
                    with_descriptor(features={"visual": "image_feat.npy", "acoustic": "../../control/audio.npy"}))
    descriptor_case("descriptor-features-list", "features is a list of paths", "error",
                    ["dataset.json", "key 'features'", "an array"],
                    with_descriptor(features=["../../control/image.npy", "../../control/audio.npy"]))
    descriptor_case("descriptor-user-limit-zero", "user_limit 0", "error", ["dataset.json", "key 'user_limit'", "positive"],
                    with_descriptor(user_limit=0))
    descriptor_case("descriptor-user-limit-text", "user_limit \"100\"", "error",
                    ["dataset.json", "key 'user_limit'", "\"100\""], with_descriptor(user_limit="100"))
    descriptor_case("descriptor-duplicate-key", "name given twice", "error",
                    ["dataset.json", "key 'name'", "appears twice"],
                    good.replace('"name": "tiktok-slice",', '"name": "tiktok-slice",\n  "name": "other",', 1))
    descriptor_case("descriptor-not-an-object", "a list at the top", "error", ["dataset.json", "expected a JSON object"],
                    "[" + good + "]\n")
    descriptor_case("descriptor-empty", "the file is empty", "error", ["dataset.json", "empty"], "")
    descriptor_case("descriptor-byte-order-mark", "a UTF-8 byte-order mark", "warning",
                    ["dataset.json", "byte-order mark"], "\ufeff" + good)
    descriptor_case("descriptor-crlf", "CRLF line endings", "same", [], good.replace("\n", "\r\n"))
    descriptor_case("descriptor-unicode-escape", "the name written with \\u escapes", "same", [],
                    good.replace('"tiktok-slice"', '"tiktok\\u002dslice"', 1))

    # experiment configs ----------------------------------------------------
    def config_case(name, defect, outcome, expect, change=None, text=None):
        if text is None:
            c = json.loads(json.dumps(config))
            change(c)
            text = json.dumps(c, indent=2) + "\n"
        case(name, "config", defect, outcome, expect, config_text=text)

    plain = json.dumps(config, indent=2) + "\n"
    config_case("config-missing-bracket", "the models list is never closed", "error",
                ["config.json", "line", "column", "expected ',' or ']'"],
                text=plain.replace('}\n  ]\n}', '}\n}', 1))
    config_case("config-huge-real", "reg_weight is 1e999", "error",
                ["config.json", "models[0].parameters.reg_weight", "1e999", "out of range"],
                text=plain.replace('"embedding_size": 8', '"embedding_size": 8, "reg_weight": 1e999'))
    config_case("config-huge-integer", "epochs is 99999999999999999999", "error",
                ["config.json", "training.epochs", "99999999999999999999", "out of range"],
                text=plain.replace('"epochs": 1', '"epochs": 99999999999999999999'))
    config_case("config-duplicate-key", "seeds given twice", "error", ["config.json", "key 'seeds'", "appears twice"],
                text=plain.replace('"seeds": [\n    1\n  ],', '"seeds": [\n    1\n  ],\n  "seeds": [2],', 1))
    config_case("config-unknown-training-key", "training.epoch (misspelt)", "error",
                ["config.json", "training.epoch", "unknown key"],
                lambda c: c["training"].update({"epoch": 1}))
    config_case("config-unknown-model", "model LightGCNN", "error", ["config.json", "LightGCNN"],
                lambda c: c["models"][0].update({"model": "LightGCNN", "parameters": {}}))
    config_case("config-unknown-parameter", "VBPR parameter embedding_dim", "error",
                ["config.json", "embedding_dim", "unknown parameter"],
                lambda c: c["models"][0]["parameters"].update({"embedding_dim": 8}))
    config_case("config-epochs-string", "epochs is \"1\"", "error", ["config.json", "training.epochs", "a string"],
                lambda c: c["training"].update({"epochs": "1"}))
    config_case("config-negative-learning-rate", "learning_rate -0.01", "error",
                ["config.json", "training.learning_rate", "-0.01"],
                lambda c: c["training"].update({"learning_rate": -0.01}))
    config_case("config-boolean-as-string", "VBPR biases \"False\" (a truthy string in Python)", "error",
                ["config.json", "biases", "False"],
                lambda c: c["models"][0]["parameters"].update({"biases": "False"}))
    config_case("config-duplicate-labels", "two entries labelled Same", "error", ["config.json", "Same"],
                lambda c: c.update({"models": [dict(c["models"][0], label="Same"), {"model": "LightGCN", "label": "Same"}]}))
    config_case("config-dataset-missing", "dataset nope.json", "error", ["config.json", "key 'dataset'", "'nope.json'", "nothing at"],
                lambda c: c.update({"dataset": "nope.json"}))
    config_case("config-no-models", "an empty models list", "error", ["config.json", "models"],
                lambda c: c.update({"models": []}))
    config_case("config-no-seeds", "an empty seeds list", "error", ["config.json", "seeds"],
                lambda c: c.update({"seeds": []}))
    config_case("config-bad-name", "the name has a space", "error", ["config.json", "key 'name'"],
                lambda c: c.update({"name": "my tables"}))
    config_case("config-grid-over-cap", "a grid of 100 × 100 × 100 × 2 = 2,000,000 points", "error",
                ["config.json", "max_runs", "2000000"],
                lambda c: c["models"][0]["parameters"].update(
                    {"reg_weight": [k * 1e-6 for k in range(1, 101)], "dropout": [k / 2000 for k in range(100)],
                     "embedding_size": list(range(1, 101)), "biases": [True, False]}))
    config_case("config-unknown-valid-metric", "valid_metric recal@10", "error",
                ["config.json", "valid_metric", "recal@10"],
                lambda c: c["protocol"].update({"valid_metric": "recal@10"}))
    config_case("config-byte-order-mark", "a UTF-8 byte-order mark", "warning", ["config.json", "byte-order mark"],
                text="\ufeff" + plain)
    config_case("config-crlf", "CRLF line endings", "same", [], text=plain.replace("\n", "\r\n"))

    cases.sort(key=lambda c: (["inter", "npy", "descriptor", "config"].index(c["kind"]), c["name"]))
    write(os.path.join(ROOT, "cases.json"), json.dumps(cases, indent=1, ensure_ascii=False) + "\n")
    kinds = Counter(c["kind"] for c in cases)
    print("%d cases: %s" % (len(cases), ", ".join("%d %s" % (kinds[k], k) for k in ["inter", "npy", "descriptor", "config"])))


if __name__ == "__main__":
    main()
