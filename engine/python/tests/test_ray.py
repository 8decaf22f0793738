"""The Ray example (examples/rescan_ray.py) on a local Ray cluster: a few
hundred generated images rescanned with Ray Data against a snapshot
broadcast to the workers; the rows agree with hashing one by one."""

import importlib.util
import io
import pathlib

import numpy as np
import pytest
from PIL import Image

import hashwall

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "rescan_ray.py"


@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def load_example():
    spec = importlib.util.spec_from_file_location("rescan_ray", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_rescan_with_ray_data(tmp_path, ray_local):
    rng = np.random.default_rng(5)
    images = tmp_path / "images"
    images.mkdir()
    for i in range(300):
        small = rng.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
        im = Image.fromarray(small).resize((320, 240), Image.BICUBIC)
        out = io.BytesIO()
        im.save(out, format="JPEG" if i % 2 else "PNG")
        (images / f"img{i:03}.{'jpg' if i % 2 else 'png'}").write_bytes(out.getvalue())
    (images / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")

    # A list with the PDQ of three images (one of them rotated by 90°) and the MD5
    # of a fourth.
    pdq = {n: hashwall.hash_file(images / n)[0] for n in ("img010.png", "img011.jpg")}
    rotated = np.rot90(np.asarray(Image.open(images / "img020.png").convert("RGB"))).copy()
    [rot] = hashwall.hash_image(rotated)
    [md5] = hashwall.hash_file(images / "img031.jpg", "md5")
    text = "# id: cases\n# issuer: Hotline\n# category: csam\n"
    text += f"pdq {pdq['img010.png'].hex} C10\npdq {pdq['img011.jpg'].hex} C11\npdq {rot.hex} C20\nmd5 {md5.hex} C31\n"
    snapshot = hashwall.Snapshot.from_text(text, allow_unsigned=True)

    rows = load_example().rescan(images, snapshot, batch_size=32)
    assert len(rows) == 301
    by_name = {pathlib.Path(r["path"]).name: r for r in rows}
    assert by_name["broken.jpg"]["action"] == "error"
    assert "ImageError" in by_name["broken.jpg"]["error"]
    blocked = {n: r["reference"] for n, r in by_name.items() if r["action"] == "block"}
    assert blocked == {"img010.png": "C10", "img011.jpg": "C11", "img020.png": "C20", "img031.jpg": "C31"}
    assert by_name["img010.png"]["distance"] == 0
    # The distributed hashes are the ones computed here, one by one.
    for name in ("img000.png", "img001.jpg", "img299.jpg"):
        [h] = hashwall.hash_file(images / name)
        assert (by_name[name]["pdq"], by_name[name]["quality"]) == (h.hex, h.quality)
