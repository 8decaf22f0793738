"""Matching: snapshots from text and from signed list files verified with a
trust store made by the `hashwall lists` command line; verdicts with their
provenance; the engine swapping snapshots under concurrent readers;
pickling."""

import io
import pickle
import threading
import time

import numpy as np
import pytest
from PIL import Image

import hashwall
from conftest import run

IWF = """# id: iwf
# issuer: IWF
# jurisdiction: GB
# category: csam
url-prefix evil.example/a/ R1
domain bad.example R2
"""


def photo(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(small).resize((320, 240), Image.BICUBIC).save(out, format="PNG")
    return out.getvalue()


def test_url_verdict_and_provenance():
    fix = "# id: fix\n# issuer: local\n# policy: allow\nurl evil.example/a/ok.html\n"
    snap = hashwall.Snapshot.from_text([IWF, fix.encode()], allow_unsigned=True)
    assert snap.lists == ["iwf", "fix"]
    v = snap.check_url("http://evil.example/a/x.jpg")
    assert v.action == "block" and v.is_blocked
    [m] = v.matches
    assert (m.list, m.issuer, m.jurisdiction, m.category, m.kind, m.reference) == (
        "iwf", "IWF", "GB", "csam", "url-prefix", "R1"
    )
    assert m.distance is None and m.variant is None and m.action == "block"
    assert m.expression == "evil.example/a/"
    # Allow beats block.
    v = snap.check_url("https://EVIL.example/a/ok.html")
    assert v.action == "allow" and len(v.matches) == 2
    assert snap.check_url("http://sub.bad.example/").matches[0].reference == "R2"
    assert snap.check_url("http://good.example/").action == "no-match"
    assert hashwall.Snapshot.empty().check_url("http://evil.example/a/").action == "no-match"
    assert "Verdict(action='block'" in repr(snap.check_url("http://bad.example/"))


def test_image_and_hash_matching():
    data = photo(7)
    [pdq] = hashwall.hash_image(data)
    md5 = hashwall.hash_image(data, "md5")[0]
    # The listed PDQ is the rotated image's: the input matches as a variant.
    rotated = np.rot90(np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))).copy()
    [listed] = hashwall.hash_image(rotated)
    text = f"# id: hashes\n# issuer: NCMEC\n# jurisdiction: US\n# category: csam\npdq {listed.hex} case-9\nmd5 {md5.hex} file-1\n"
    snap = hashwall.Snapshot.from_text(text, allow_unsigned=True)
    v = snap.check_image(data)
    assert v.action == "block"
    kinds = {m.kind: m for m in v.matches}
    assert kinds["md5"].reference == "file-1"
    assert kinds["pdq"].reference == "case-9"
    assert kinds["pdq"].variant not in (None, "orig")
    assert kinds["pdq"].distance <= 31
    # check_hash: kind and hex, or an ImageHash.
    v = snap.check_hash("pdq", listed.hex)
    assert v.matches[0].distance == 0 and v.matches[0].variant == "orig"
    assert snap.check_hash(md5).matches[0].reference == "file-1"
    assert snap.check_hash(pdq).action == "no-match" or snap.check_hash(pdq).matches[0].kind == "pdq"
    # What hash_image returned, checked as one image: PDQ variants as one
    # query (the rotated match found), and the MD5.
    v = snap.check_hashes(hashwall.hash_image(data, ("pdq", "md5"), dihedral=True))
    assert sorted(m.kind for m in v.matches) == ["md5", "pdq"]
    assert [m.variant for m in v.matches if m.kind == "pdq"] == [kinds["pdq"].variant]
    with pytest.raises(TypeError):
        snap.check_hashes(["not a hash"])
    assert snap.check_image(photo(8)).action == "no-match"
    with pytest.raises(hashwall.InvalidEntryError):
        snap.check_hash("pdq", "abc")
    with pytest.raises(ValueError):
        snap.check_hash("no-such-kind", "00")


def test_errors_are_typed():
    snap = hashwall.Snapshot.from_text(IWF + f"pdq {'f' * 64}\n", allow_unsigned=True)
    with pytest.raises(hashwall.UrlError) as e:
        snap.check_url("ftp://evil.example/")
    assert e.value.reason == "unsupported-scheme"
    assert isinstance(e.value, hashwall.HashwallError)
    with pytest.raises(hashwall.UrlError) as e:
        snap.check_url("")
    assert e.value.reason == "empty"
    for bad, reason in [(b"", "empty"), (b"not an image", "unsupported"), (photo(1)[:200], "truncated")]:
        with pytest.raises(hashwall.ImageError) as e:
            hashwall.hash_image(bad)
        assert e.value.reason in (reason, "corrupt"), (bad[:10], e.value.reason)
        with pytest.raises(hashwall.ImageError):
            snap.check_image(bad)
    with pytest.raises(ValueError):
        hashwall.hash_image(photo(1), algorithms=["sha512"])
    with pytest.raises(ValueError):
        hashwall.hash_image(np.zeros((8, 8, 3), dtype=np.uint8), algorithms=["phash"])
    with pytest.raises(ValueError):
        hashwall.hash_image(np.zeros((8, 8, 4), dtype=np.uint8))
    with pytest.raises(ValueError):
        hashwall.hash_image(np.zeros((8, 8, 3), dtype=np.float32))
    with pytest.raises(TypeError):
        hashwall.hash_image(12)
    with pytest.raises(TypeError):
        snap.check_image("a string")
    with pytest.raises(FileNotFoundError):
        hashwall.hash_file("/nonexistent/x.jpg")
    with pytest.raises(hashwall.ListError) as e:
        hashwall.Snapshot.from_text("# issuer: x\nbogus-kind foo\n", allow_unsigned=True)
    assert e.value.reason == "unknown-entry-kind"
    with pytest.raises(hashwall.ListError) as e:
        hashwall.Snapshot.from_text(IWF)
    assert e.value.reason == "unsigned"
    with pytest.raises(OSError):
        hashwall.Snapshot.load("/nonexistent.list")


def test_fuzzed_inputs_never_crash():
    """Random and mutated bytes: an ImageError or a verdict, nothing else."""
    rng = np.random.default_rng(3)
    base = photo(2)
    snap = hashwall.Snapshot.from_text(IWF, allow_unsigned=True)
    items = []
    for i in range(300):
        b = bytearray(base[: rng.integers(0, len(base))])
        for _ in range(rng.integers(0, 8)):
            if b:
                b[rng.integers(0, len(b))] = rng.integers(0, 256)
        items.append(bytes(b))
    items += [rng.bytes(int(n)) for n in rng.integers(0, 2000, 100)]
    for res in hashwall.hash_images(items, algorithms=hashwall.ALGORITHMS):
        assert isinstance(res, (list, hashwall.ImageError)), res
    for res in snap.check_images(items):
        assert isinstance(res, (hashwall.Verdict, hashwall.ImageError)), res
    urls = ["".join(chr(c) for c in rng.integers(0, 0x2FF, rng.integers(0, 60))) for _ in range(300)]
    for res in snap.check_urls(urls):
        assert isinstance(res, (hashwall.Verdict, hashwall.UrlError)), res


def test_signed_lists_with_a_trust_store(tmp_path, hashwall_cli):
    """A key and a signed list made with `hashwall lists`; loading checks
    the signature against the trust store."""
    listfile = tmp_path / "police.list"
    listfile.write_text("# id: police\n# issuer: Police\n# jurisdiction: DE\n# category: terrorism\ndomain bad.example P-1\n")
    run(hashwall_cli, "lists", "keygen", "--out", tmp_path / "police", "--issuer", "Police")
    run(hashwall_cli, "lists", "sign", listfile, "--key", tmp_path / "police.key")
    store = tmp_path / "trust.txt"
    run(hashwall_cli, "lists", "trust", "add", store, tmp_path / "police.pub", "--issuer", "Police")

    snap = hashwall.Snapshot.load([listfile], trust=store)
    v = snap.check_url("https://bad.example/x")
    assert v.action == "block"
    assert (v.matches[0].issuer, v.matches[0].jurisdiction, v.matches[0].category) == ("Police", "DE", "terrorism")

    # No trust store: nobody is trusted.
    with pytest.raises(hashwall.ListError) as e:
        hashwall.Snapshot.load(listfile)
    assert e.value.reason == "untrusted-key"
    # Tampered after signing: refused even with allow_unsigned.
    tampered = tmp_path / "tampered.list"
    tampered.write_text(listfile.read_text().replace("bad.example", "good.example"))
    with pytest.raises(hashwall.ListError) as e:
        hashwall.Snapshot.load(tampered, trust=store, allow_unsigned=True)
    assert e.value.reason == "bad-signature"
    assert "tampered.list" in str(e.value)
    # Another issuer's key does not sign for Police.
    run(hashwall_cli, "lists", "keygen", "--out", tmp_path / "other", "--issuer", "Other")
    other_store = tmp_path / "other-trust.txt"
    run(hashwall_cli, "lists", "trust", "add", other_store, tmp_path / "other.pub", "--issuer", "Police")
    with pytest.raises(hashwall.ListError) as e:
        hashwall.Snapshot.load(listfile, trust=other_store)
    assert e.value.reason == "untrusted-key"

    # Pickling carries the signed bytes and the store; verified again.
    again = pickle.loads(pickle.dumps(snap))
    assert again.lists == ["police"]
    assert again.check_url("http://bad.example/").matches[0].reference == "P-1"


def test_engine_swaps_under_concurrent_readers():
    a = hashwall.Snapshot.from_text("# id: a\n# issuer: A\ndomain a.example\n", allow_unsigned=True)
    b = hashwall.Snapshot.from_text("# id: b\n# issuer: B\ndomain b.example\n", allow_unsigned=True)
    engine = hashwall.Engine(a)
    assert engine.check_url("http://a.example/").action == "block"
    stop = threading.Event()
    seen = []
    errors = []

    def reader():
        while not stop.is_set():
            va = engine.check_url("http://a.example/")
            if va.is_blocked and va.matches[0].list != "a":
                errors.append(f"a.example blocked by {va.matches[0].list}")
            # A batch runs on one snapshot: never a mix of the two.
            batch = engine.check_urls(["http://a.example/", "http://b.example/"] * 20)
            blocked = {v.matches[0].list for v in batch if v.is_blocked}
            if len(blocked) != 1:
                errors.append(f"a batch saw {blocked}")
            seen.append(blocked.pop() if blocked else None)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    i = 0
    while time.monotonic() < deadline and (len(set(seen)) < 2 or i < 200):
        old = engine.swap(b if i % 2 == 0 else a)
        assert old.lists in (["a"], ["b"])
        i += 1
        time.sleep(0.0005)
    engine.swap(a)
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors[:5]
    assert set(seen) == {"a", "b"}
    assert engine.snapshot().lists == ["a"]
    assert hashwall.Engine().check_url("http://a.example/").action == "no-match"
