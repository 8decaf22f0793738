"""Hashing: PDQ equal to the PyPI `pdqhash` package (Meta's C++ core) on the
shared conformance images, accepted by python-threatexchange, and the
argument forms (bytes, NumPy, PIL, paths)."""

import io

import numpy as np
import pdqhash
import pytest
from PIL import Image
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes
from threatexchange.signal_type.pdq.signal import PdqSignal

import hashwall

# Where python-threatexchange's own conversion is wrong (see
# engine/tests/pdq_conformance.rs): it hashes palette indices, inverted
# CMYK and 0/1 bilevel pixels.
PYTX_FAULTS = {"P.png", "CMYK.jpg", "1.png"}


def pdqhash_hex(rgb: np.ndarray):
    bits, quality = pdqhash.compute(rgb)
    value = int("".join(str(int(b)) for b in bits), 2)
    return f"{value:064x}", int(quality)


def test_pixels_equal_pdqhash_on_every_conformance_image(pdq_images):
    """The same RGB pixels through hashwall and through pdqhash: the same
    hash and quality, bit for bit, on every image."""
    _, images = pdq_images
    checked = 0
    for path in images:
        with Image.open(path) as im:
            rgb = np.asarray(im.convert("RGB"))
        want = pdqhash_hex(rgb)
        [got] = hashwall.hash_image(rgb)
        assert (got.hex, got.quality) == want, path
        # A PIL image gives the same as its array.
        with Image.open(path) as im:
            [from_pil] = hashwall.hash_image(im)
        assert from_pil == got, path
        checked += 1
    assert checked == len(images)


def test_files_match_threatexchange_hasher(pdq_images):
    """hashwall decoding the file itself against python-threatexchange's
    hasher (PIL decoding + pdqhash, what HMA computes): equal on images of
    300 px and more, within 4 bits on small ones (JPEG decoders differ by a
    level here and there); equal quality. PdqSignal accepts our hashes."""
    root, images = pdq_images
    compared = 0
    for path in images:
        if path.name in PYTX_FAULTS:
            continue
        data = path.read_bytes()
        try:
            theirs, their_q = pdq_from_bytes(data)
        except Exception:
            continue  # a mode pytx's hasher cannot take (e.g. 16-bit)
        [ours] = hashwall.hash_file(path)
        with Image.open(path) as im:
            side = min(im.size)
        d = hashwall.distance(ours.hex, theirs)
        assert d <= (0 if side >= 300 else 4), f"{path}: {d} bits"
        assert ours.quality == their_q, path
        assert PdqSignal.validate_signal_str(ours.hex) == ours.hex
        result = PdqSignal.compare_hash(ours.hex, theirs)
        assert result.match, path
        assert result.distance.distance == d
        compared += 1
    assert compared >= 20


def test_dihedral_variants_equal_pdqhash(pdq_images):
    """The 8 variants, derived from one DCT, equal pdqhash.compute_dihedral's."""
    _, images = pdq_images
    for path in images[::4]:
        with Image.open(path) as im:
            rgb = np.asarray(im.convert("RGB"))
        bits8, _ = pdqhash.compute_dihedral(rgb)
        want = [f"{int(''.join(str(int(b)) for b in bits), 2):064x}" for bits in bits8]
        got = [h.hex for h in hashwall.hash_image(rgb, dihedral=True)]
        assert got == want, path


def test_bridge_reference_hash(pdq_images):
    root, _ = pdq_images
    [h] = hashwall.hash_file(root / "pdq/data/bridge-mods/aaa-orig.jpg")
    # pytx-pdqhash-0.2.8-fullres.csv
    assert h.hex == "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
    assert h.quality == 100
    assert h.algorithm == "pdq" and h.variant == "orig" and h.kind == "pdq"


def test_dihedral_variants_match_rotated_files(pdq_images):
    """The 8 variants of the original are the hashes of the rotated files
    (threatexchange's dihedral test images), within a few bits."""
    root, _ = pdq_images
    dih = root / "pdq/data/reg-test-input/dih"
    variants = hashwall.hash_file(dih / "bridge-1-original.jpg", dihedral=True)
    assert [v.variant for v in variants] == [
        "orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus1", "flipminus1"
    ]
    assert len({v.hex for v in variants}) == 8
    [rot180] = hashwall.hash_file(dih / "bridge-3-rotate-180.jpg")
    assert hashwall.distance(variants[2], rot180) <= 10
    assert min(hashwall.distance(v, rot180) for v in variants[1:]) == hashwall.distance(variants[2], rot180)


def png_bytes(seed: int, size=(128, 96)) -> bytes:
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 256, size=(size[1] // 8, size[0] // 8, 3), dtype=np.uint8)
    im = Image.fromarray(arr).resize(size, Image.BILINEAR)
    out = io.BytesIO()
    im.save(out, format="PNG")
    return out.getvalue()


def test_every_algorithm_and_input_form(tmp_path):
    data = png_bytes(1)
    hashes = hashwall.hash_image(data, algorithms=hashwall.ALGORITHMS)
    assert [h.algorithm for h in hashes] == ["pdq", "pdq-512", "phash", "dhash", "md5", "sha1", "sha256"]
    assert [len(h.hex) for h in hashes] == [64, 64, 16, 16, 32, 40, 64]
    assert hashes[0].quality is not None and hashes[4].quality is None
    import hashlib

    assert hashes[6].hex == hashlib.sha256(data).hexdigest()
    assert hashes[4].hex == hashlib.md5(data).hexdigest()
    # bytearray, memoryview, a path and a single algorithm token.
    assert hashwall.hash_image(bytearray(data), "md5") == [hashes[4]]
    assert hashwall.hash_image(memoryview(data), ["sha1"]) == [hashes[5]]
    p = tmp_path / "x.png"
    p.write_bytes(data)
    assert hashwall.hash_file(p, algorithms=hashwall.ALGORITHMS) == hashes
    assert hashwall.hash_file(str(p))[0] == hashes[0]
    # Decoded pixels of a lossless file: the same PDQ.
    rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert hashwall.hash_image(rgb, ("pdq", "pdq-512")) == hashes[:2]
    # A non-contiguous view is read in C order.
    assert hashwall.hash_image(np.ascontiguousarray(rgb[:, ::-1]))[0] == hashwall.hash_image(rgb[:, ::-1])[0]
    assert "ImageHash(algorithm='pdq'" in repr(hashes[0])
    assert str(hashes[2]) == hashes[2].hex


def test_distance():
    a = "f" * 64
    b = "7" + "f" * 63
    assert hashwall.distance(a, b) == 1
    assert hashwall.distance("00000000000000ff", "0000000000000000") == 8
    [h] = hashwall.hash_image(png_bytes(2))
    assert hashwall.distance(h, h.hex) == 0
    with pytest.raises(hashwall.InvalidEntryError):
        hashwall.distance("abc", a)
    with pytest.raises(hashwall.InvalidEntryError):
        hashwall.distance("z" * 64, a)
    with pytest.raises(ValueError):
        hashwall.distance(a, "00000000000000ff")
    with pytest.raises(TypeError):
        hashwall.distance(1, a)
