"""MMRec's item kNN graph, timed: the dense cosine similarity of every item
pair (MMRec's utils.build_sim) and its per-row top k (torch.topk), the part
that LATTICE, FREEDOM and MGCN share in MMRec. Run with the peer kit's
python, which has torch:

    $PEER_HOME/venv/bin/python Tools/knn/mmrec_knn.py FEATURES.npy [K] [THREADS]

It prints the build time and the process's peak resident memory, before and
after the build, so that the figures stand beside `bench item-graph`'s.
"""
import os
import resource
import sys
import time

import numpy as np
import torch

peer = os.environ.get("PEER_HOME", os.path.expanduser("~/.cache/mmrec-peer"))
sys.path.insert(0, os.path.join(peer, "MMRec", "src"))
from utils.utils import build_sim  # noqa: E402  (MMRec's own function)


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    torch.set_num_threads(threads)
    features = torch.from_numpy(np.load(path).astype(np.float32))
    before = peak_mb()
    start = time.perf_counter()
    sim = build_sim(features)
    values, indices = torch.topk(sim, k, dim=-1)
    seconds = time.perf_counter() - start
    print(f"{features.shape[0]} items x {features.shape[1]} features: top {k} per item (self included), "
          f"dense {features.shape[0]} x {features.shape[0]} similarity ({sim.numel() * 4 / 2**20:.0f} MB)")
    print(f"  built in {seconds:.3f} s; peak memory of the process {peak_mb()} MB ({before} MB before the build)")
    print(f"  torch {torch.__version__}, {threads} threads")


if __name__ == "__main__":
    main()
