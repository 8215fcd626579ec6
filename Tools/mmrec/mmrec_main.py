"""Runs one MMRec model from the peer kit's installed copy, for Tools/mmrec/compare.

  python mmrec_main.py MODEL DATASET EPOCHS THREADS [KEY=JSON ...]

Run it from MMRec's src/ folder (the copy ../shared/peer/setup installs). It does
what the kit's main.py does (an epoch cap, the torch thread count, the `PEER`
lines its summarize.py reads), with two differences:

- KEY=JSON pairs override MMRec's yaml through quick_start's config_dict, so one
  grid point of a model whose yaml the kit did not cut (LATTICE, FREEDOM, BM3,
  MGCN) trains one model: `reg_weight=[0.0001]`. A hyper-parameter that the
  yaml lists under `hyper_parameters` must be given as a list.
- Two shims, applied at run time, so that nothing in ../shared changes:
  * scipy 1.12 removed the private `dok_matrix._update` that freedom.py:111 and
    bm3.py:67 call. `update` builds the same matrix: the kit made exactly this
    change in lightgcn.py (MMRec/PATCHES.md, patch 3).
  * lattice.py:76,87 and mgcn.py:59,69 move their kNN adjacency to the GPU with
    `.cuda()`. On this CPU-only run the tensor stays where it is, as the kit's
    patch 4 does for GRCN (`.cuda()` becomes `.to(self.device)`, the CPU).
  * MGCN's graph builder (utils/utils.py:140, `get_sparse_laplacian`) imports
    `scatter_add` from torch_scatter, which the kit does not install (its
    wheels trail torch's releases). torch_geometric's `scatter` with
    reduce='sum' computes the same sums; it serves as that module here.
"""
import json
import os
import resource
import sys

import types

import scipy.sparse as sp
import torch
import torch_geometric.utils

if not hasattr(sp.dok_matrix, '_update'):
    sp.dok_matrix._update = sp.dok_matrix.update
torch.Tensor.cuda = lambda self, *args, **kwargs: self


def scatter_add(src, index, dim=-1, out=None, dim_size=None):
    """torch_scatter.scatter_add, for the call MMRec makes (no `out`)."""
    if out is not None:
        raise NotImplementedError('the torch_scatter shim does not take out=')
    return torch_geometric.utils.scatter(src, index, dim=dim, dim_size=dim_size, reduce='sum')


if 'torch_scatter' not in sys.modules:
    try:
        import torch_scatter  # noqa: F401  (a real install wins)
    except ImportError:
        sys.modules['torch_scatter'] = types.SimpleNamespace(scatter_add=scatter_add)

sys.path.insert(0, os.getcwd())  # MMRec's src/, which holds its packages
from utils.quick_start import quick_start  # noqa: E402  (after the shims)


def main(argv):
    if len(argv) < 4:
        sys.exit('usage: mmrec_main.py MODEL DATASET EPOCHS THREADS [KEY=JSON ...]')
    model, dataset, epochs, threads = argv[0], argv[1], int(argv[2]), int(argv[3])
    config = {'gpu_id': 0, 'epochs': epochs}
    for pair in argv[4:]:
        key, sep, value = pair.partition('=')
        if not sep:
            sys.exit('mmrec_main.py: expected KEY=JSON, got {!r}'.format(pair))
        try:
            config[key] = json.loads(value)
        except json.JSONDecodeError as error:
            sys.exit('mmrec_main.py: {}: {!r} is not JSON ({})'.format(key, value, error))
    torch.set_num_threads(threads)
    print('PEER torch {} threads {}'.format(torch.__version__, torch.get_num_threads()), flush=True)
    print('PEER config overrides {}'.format(json.dumps(config, sort_keys=True)), flush=True)
    quick_start(model=model, dataset=dataset, config_dict=config, save_model=False)
    print('PEER peak_rss_MB {:.1f}'.format(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0), flush=True)


if __name__ == '__main__':
    main(sys.argv[1:])
