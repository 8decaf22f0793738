"""Data and the image-check comparison for benches/api_load.sh.

generate WORK N BANK IMAGES: WORK/big.list (N random PDQ hashes, the first
  half of WORK/queries.txt near them), WORK/bank.list (BANK hashes including
  the PDQ of every other image), WORK/img-*.jpg (640x480 JPEGs).
images WORK PORT: images/s of hashwall's POST /v1/check/image (one keep-alive
  connection) and of python-threatexchange (PdqSignal.hash_from_bytes, then
  its PDQ index query), on the same images and bank, one thread each.
"""

import http.client
import json
import os
import random
import statistics
import sys
import time


def header(name):
    return (
        "# hashwall-list: 1\n# id: %s\n# issuer: bench\n# category: csam\n"
        "# policy: block\n# sequence: 1\n" % name
    )


def near(h, rnd, bits=8):
    v = int(h, 16)
    for _ in range(bits):
        v ^= 1 << rnd.randrange(256)
    return "%064x" % v


def picture(rnd, path):
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (640, 480), tuple(rnd.randrange(256) for _ in range(3)))
    d = ImageDraw.Draw(img)
    for _ in range(40):
        x, y = rnd.randrange(640), rnd.randrange(480)
        d.ellipse(
            (x, y, x + rnd.randrange(20, 200), y + rnd.randrange(20, 200)),
            fill=tuple(rnd.randrange(256) for _ in range(3)),
        )
    img.save(path, quality=90)


def generate(work, n, bank, images):
    from threatexchange.signal_type.pdq.signal import PdqSignal

    rnd = random.Random(13)
    listed = []
    with open(os.path.join(work, "big.list"), "w") as out:
        out.write(header("big"))
        for i in range(n):
            h = "%064x" % rnd.getrandbits(256)
            if i < 5000:
                listed.append(h)
            out.write("pdq %s P-%d\n" % (h, i))
    with open(os.path.join(work, "queries.txt"), "w") as out:
        for i in range(10000):
            q = near(listed[i % len(listed)], rnd) if i % 2 == 0 else "%064x" % rnd.getrandbits(256)
            out.write("/m/lookup?signal_type=pdq&signal=%s\n" % q)
    image_hashes = []
    for i in range(images):
        path = os.path.join(work, "img-%04d.jpg" % i)
        picture(rnd, path)
        if i % 2 == 0:
            with open(path, "rb") as f:
                image_hashes.append(PdqSignal.hash_from_bytes(f.read()))
    with open(os.path.join(work, "bank.list"), "w") as out:
        out.write(header("bank"))
        for i, h in enumerate(image_hashes):
            out.write("pdq %s I-%d\n" % (h, i))
        for i in range(bank - len(image_hashes)):
            out.write("pdq %064x B-%d\n" % (rnd.getrandbits(256), i))


def load_images(work):
    names = sorted(f for f in os.listdir(work) if f.startswith("img-"))
    out = []
    for n in names:
        with open(os.path.join(work, n), "rb") as f:
            out.append(f.read())
    return out


def bank_hashes(work):
    with open(os.path.join(work, "bank.list")) as f:
        return [line.split()[1] for line in f if line.startswith("pdq ")]


def hashwall_round(port, images):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    matched = 0
    t = time.perf_counter()
    for body in images:
        conn.request("POST", "/v1/check/image", body, {"Content-Type": "image/jpeg"})
        r = conn.getresponse()
        answer = json.loads(r.read())
        assert r.status == 200, answer
        matched += answer["verdict"]["action"] == "block"
    return len(images) / (time.perf_counter() - t), matched


def threatexchange_round(index, images):
    from threatexchange.signal_type.pdq.signal import PdqSignal

    matched = 0
    t = time.perf_counter()
    for body in images:
        h = PdqSignal.hash_from_bytes(body)
        matched += bool(index.query(h))
    return len(images) / (time.perf_counter() - t), matched


def images(work, port):
    from threatexchange.signal_type.pdq.signal import PdqSignal

    imgs = load_images(work)
    bank = bank_hashes(work)
    t = time.perf_counter()
    index = PdqSignal.get_index_cls().build((h, i) for i, h in enumerate(bank))
    print("   threatexchange index of %d hashes built in %.1f s" % (len(bank), time.perf_counter() - t))
    hw, tx = [], []
    for r in range(3):
        rate, m_hw = hashwall_round(port, imgs)
        hw.append(rate)
        rate, m_tx = threatexchange_round(index, imgs)
        tx.append(rate)
        print("   round %d: hashwall %.1f images/s (%d matched), threatexchange %.1f images/s (%d matched)"
              % (r + 1, hw[-1], m_hw, tx[-1], m_tx))
    h, x = statistics.median(hw), statistics.median(tx)
    print("   median: hashwall %.1f images/s, threatexchange %.1f images/s: %.1fx per core" % (h, x, h / x))


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        images(sys.argv[2], int(sys.argv[3]))
